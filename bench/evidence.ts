import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleImage, parseImageConfigYaml, type FsEntry } from '../src/assemble/index.ts';
import {
  LayoutEvidenceStore,
  RegistryEvidenceStore,
  attachEvidence,
  generateImageSigningKey,
  parseSigningKey,
  parseVerificationKey,
  verifyStoredImage,
  type PackageFacts,
} from '../src/attest/index.ts';
import { OciLayout, RegistryClient, copyByReference, digestOf, parseImageRef, type Digest } from '../src/oci/index.ts';
import { startRegistry } from '../src/registry/index.ts';
import { fmt, median, publish, timed, type Table } from './report.ts';

const PACKAGES = 30;
const FILES_PER_PACKAGE = 20;
const FILE_BYTES = 160 * 1024; // 30 × 20 × 160 KiB ≈ 94 MiB, like bench/assemble's image
const RUNS = 3;
const EPOCH = 1_700_000_000;

/**
 * What the evidence costs next to the image it is for, in one run: (a) assembling a
 * ~30-package image (~94 MiB root filesystem of FsEntry values, half-compressible content)
 * into an OCI layout with `assembleImage`; (b) `attachEvidence` for it — both SBOMs from
 * the package facts, the signature in both forms, SLSA provenance and SBOM attestations
 * (DSSE-signed, as bundle referrers and under the `.att` tag), all written into the same
 * layout, and (b') the same into kiln's registry over loopback; (c) `verifyStoredImage`, which also reads the apk database back out of the layer.
 * Goal: (b) ≤ 10% of (a). Median of RUNS runs.
 */
export async function benchEvidence(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-evidence-'));
  const registry = await startRegistry({ storageDir: join(work, 'registry'), port: 0 });
  try {
    const packages = facts();
    const entries = rootfs(packages);
    const { spec } = parseImageConfigYaml('entrypoint:\n  command: /usr/bin/pkg00\narchs: [x86_64]\n', 'bench.yaml');
    const key = generateImageSigningKey();
    const signingKey = parseSigningKey(key.privatePem, 'bench key');
    const publicKey = parseVerificationKey(key.publicPem, 'bench public key');
    const assemble: number[] = [];
    const evidence: number[] = [];
    const verify: number[] = [];
    const evidenceRegistry: number[] = [];
    for (let run = 0; run < RUNS + 1; run++) {
      const layout = await OciLayout.open(join(work, `layout-${run}`), { create: true });
      let image: Awaited<ReturnType<typeof assembleImage>> | undefined;
      const a = await timed(async () => {
        image = await assembleImage({ layout, spec, rootfs: [{ arch: 'x86_64', entries }], sourceDateEpoch: EPOCH, tag: 'v1' });
      });
      const subject = image!.images[0]!.manifest;
      const store = new LayoutEvidenceStore(layout, 'bench');
      const input = {
        manifestDigest: subject.digest,
        key: signingKey,
        facts: { name: 'bench', repository: 'registry.example.com/bench', digest: subject.digest, arch: 'x86_64', distro: 'kiln', packages, sourceDateEpoch: EPOCH },
        provenance: {
          builderId: 'https://factory.example.com/kiln',
          imageConfig: { uri: 'bench.yaml', digest: digestOf(Buffer.from('bench.yaml')) },
          invocationId: `bench-${run}`,
          startedOn: EPOCH,
          finishedOn: EPOCH + 1,
        },
      };
      // the same image in kiln's registry (copy not timed), for the registry row
      const repository = `bench/run-${run}`;
      await copyByReference(parseImageRef(`oci:${layout.dir}@${subject.digest}`), parseImageRef(`${registry.host}/${repository}:v1`));
      const r = await timed(() => attachEvidence({ ...input, target: new RegistryEvidenceStore(new RegistryClient({ host: registry.host }), repository) }));
      const e = await timed(() => attachEvidence({ ...input, target: store }));
      let ok = false;
      const v = await timed(async () => {
        ok = (await verifyStoredImage(store, subject.digest, publicKey)).ok;
      });
      if (!ok) throw new Error('bench: the evidence does not verify');
      if (run > 0) {
        // the first run warms caches and the JIT
        assemble.push(a);
        evidence.push(e);
        evidenceRegistry.push(r);
        verify.push(v);
      }
      await rm(join(work, `layout-${run}`), { recursive: true, force: true });
    }
    const [a, e, v, r] = [median(assemble), median(evidence), median(verify), median(evidenceRegistry)];
    const ratio = e / a;
    const table: Table = {
      title: `evidence: ${PACKAGES} packages, ~94 MiB image (median of ${RUNS})`,
      columns: ['step', 'ms', '÷ assembly'],
      rows: [
        ['assembleImage (layer, config, manifest, index)', fmt.ms(a), '1.00×'],
        ['attachEvidence into the layout (SBOMs, signature, provenance, attestations)', fmt.ms(e), fmt.ratio(ratio)],
        ['attachEvidence into kiln registry over loopback HTTP', fmt.ms(r), fmt.ratio(r / a)],
        ['verifyStoredImage (all checks, apk db from the layer)', fmt.ms(v), fmt.ratio(v / a)],
      ],
    };
    await publish('evidence', [table], [
      `evidence costs ${(ratio * 100).toFixed(1)}% of assembly (goal ≤ 10%): ${ratio <= 0.1 ? 'met' : 'NOT met'}`,
    ]);
  } finally {
    await registry.close();
    await rm(work, { recursive: true, force: true });
  }
}

function facts(): PackageFacts[] {
  return Array.from({ length: PACKAGES }, (_, i) => {
    const name = `pkg${String(i).padStart(2, '0')}`;
    return {
      name,
      version: `1.${i}.0-r0`,
      arch: 'x86_64',
      license: i % 2 === 0 ? 'MIT' : 'GPL-2.0-or-later',
      supplier: 'kiln bench',
      origin: name,
      url: `https://example.org/${name}`,
      source: { downloadLocation: `https://example.org/${name}-1.${i}.0.tar.gz`, digest: digestOf(Buffer.from(`src ${name}`)) as Digest },
      checksum: `Q1${createHash('sha1').update(name).digest('base64')}`,
      sha256: createHash('sha256').update(name).digest('hex'),
      depends: i + 1 < PACKAGES ? [`pkg${String(i + 1).padStart(2, '0')}`] : [],
    };
  });
}

/** Each package's files (half random, half zeros: compresses about 2:1) plus the apk database. */
function rootfs(packages: readonly PackageFacts[]): FsEntry[] {
  const own = { mode: 0o644, uid: 0, gid: 0 };
  const entries: FsEntry[] = [];
  const db: string[] = [];
  for (const p of packages) {
    db.push(`P:${p.name}`, `V:${p.version}`, `A:${p.arch}`, `F:usr/lib/${p.name}`);
    for (let f = 0; f < FILES_PER_PACKAGE; f++) {
      const data = Buffer.alloc(FILE_BYTES);
      randomBytes(FILE_BYTES / 2).copy(data);
      entries.push({ kind: 'file', path: `usr/lib/${p.name}/file${f}`, ...own, content: { kind: 'bytes', data } });
      db.push(`R:file${f}`);
    }
    db.push('');
  }
  entries.push({ kind: 'file', path: 'lib/apk/db/installed', ...own, content: { kind: 'bytes', data: Buffer.from(db.join('\n')) } });
  return entries;
}

