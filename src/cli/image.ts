import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  attachImageEvidence,
  buildImage,
  DEFAULT_GZIP_LEVEL,
  DeflateRunCache,
  encodeImageLockfile,
  ociPlatformOf,
  parseArch,
  readImageLockfile,
  resolveImageSigningKey,
  sourceDateEpochFrom,
  type Arch,
  type BuildInputFile,
  type BuiltImage,
  type ImageEvidenceResult,
  type ImageIdentity,
  type ImageSigningKeySource,
} from '../assemble/index.ts';
import { LayoutEvidenceStore, openEvidenceStore, type EvidenceStore } from '../attest/index.ts';
import { KILN_VERSION } from '../build/index.ts';
import { KilnError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { OciLayout, copyByReference, formatImageRef, parseImageRef, type Digest, type ImageRef } from '../oci/index.ts';
import { action, intOption } from './run-action.ts';

type BuildFlags = {
  readonly repo?: readonly string[];
  readonly output: string;
  readonly arch?: readonly string[];
  readonly lockfile?: string;
  readonly keyring?: readonly string[];
  readonly sourceDateEpoch?: string;
  readonly compressionLevel?: string;
  readonly json?: boolean;
  /** false with --no-sign. */
  readonly sign: boolean;
  readonly signKey?: string;
  readonly passphraseFile?: string;
  readonly state: string;
  /** A directory, or false with --no-layer-cache; default <state>/cache/layers. */
  readonly layerCache?: string | false;
};

/** kiln's builder id in provenance: the program and its version. */
export const KILN_IMAGE_BUILDER_ID = `https://kiln.dev/builder/kiln-image-build@${KILN_VERSION}`;

/** Used when neither --source-date-epoch nor $SOURCE_DATE_EPOCH is set: 1970-01-01T00:00:00Z, as apko and ko do. */
export const DEFAULT_SOURCE_DATE_EPOCH = 0;

/** `kiln image build`: an image from an apko-style configuration and local APK repositories. */
export function registerImage(program: Command): void {
  const image = program.command('image').description('assemble images from APK packages');
  image
    .command('build')
    .description('resolve the packages of an image configuration and assemble a multi-arch OCI image')
    .argument('<config>', 'apko-style image configuration (IMAGE.yaml)')
    .requiredOption('--output <ref>', 'oci:DIR[:TAG] or HOST[:PORT]/REPO[:TAG] (tag default: latest)')
    .option('--repo <dir...>', 'local APK repository: a directory with <arch>/APKINDEX.tar.gz and the packages (repeatable)')
    .option('--arch <arch...>', 'architectures to build (x86_64/amd64, aarch64/arm64, …); default: the configuration’s archs, else the host’s')
    .option('--lockfile <file>', 'JSON lockfile: written when missing; when present, exactly its packages are rebuilt')
    .option('--keyring <file...>', 'public key (PEM) trusted to sign the repositories (repeatable)')
    .option('--source-date-epoch <seconds>', 'timestamp of every file and of the image (default: $SOURCE_DATE_EPOCH, else 0)')
    .option('--compression-level <1-9>', `zlib level of the layer (default ${DEFAULT_GZIP_LEVEL}); part of the output: the same inputs at another level give another digest`)
    .option('--sign-key <file>', 'ECDSA P-256 private key that signs the image and its attestations (default: $KILN_IMAGE_KEY, else <state>/keys/kiln-image.key, generated on first use)')
    .option('--passphrase-file <file>', 'file holding the signing key passphrase, when the key is encrypted')
    .option('--no-sign', 'publish without signature, SBOMs or provenance (kiln verify will fail on the image)')
    .option('--state <dir>', 'state directory (for the default signing key and the layer cache)', process.env['KILN_STATE'] ?? '.kiln')
    .option('--layer-cache <dir>', 'where compressed large files are kept for later builds (default <state>/cache/layers; never changes the output)')
    .option('--no-layer-cache', 'compress every file again, and keep nothing')
    .option('--json', 'print a JSON summary')
    .addHelpText(
      'after',
      `
Every index and package is verified (signature, datahash, file checksums, the index's
C: checksum) before use. The image is built in a temporary layout and published only
when everything succeeded: a new oci:DIR appears whole, an existing layout gains the
image (tagged TAG, and TAG-ARCH per platform) only at the end, and a registry gets
blobs, then manifests, then the tag. SOURCE_DATE_EPOCH defaults to 0 (1970-01-01), so
two builds of the same inputs give the same digest.

Files of 64 KiB or more are compressed on their own and kept in the layer cache, so a
rebuild compresses only what changed. What the cache holds is checked before use (it
must decompress to exactly the file, by SHA-256), and a build gives the same bytes with
or without it. The cache is trimmed to 2 GiB, least recently used first.

Before publishing, the SBOM completeness check runs: every package in the image's
lib/apk/db/installed is in the SBOMs at its version, and every file belongs to a
package or to what the configuration writes; a violation fails the build. After
publishing, kiln (in its own process, never in a sandbox) attaches to each platform
manifest the SPDX and CycloneDX SBOMs, signed attestations of both, a SLSA provenance
attestation and a signature (cosign's sha256-<hex>.sig tag and a Sigstore bundle
referrer); the index (what the tag names) is signed the same way, and a single-platform
image's index also carries that platform's SBOMs and provenance. Check with
kiln verify REF --key <key>.pub.

Examples:
  kiln image build hello.yaml --repo ./packages --keyring kiln.rsa.pub --output oci:./out:v1
  kiln image build hello.yaml --repo ./packages --arch x86_64 aarch64 --lockfile hello.lock.json --output 127.0.0.1:5000/hello:v1
  kiln image build hello.yaml --repo ./packages --sign-key cosign.key --passphrase-file pass.txt --output 127.0.0.1:5000/hello:v1`,
    )
    .action(action(async (config: string, flags: BuildFlags) => runBuild(config, flags)));
}

async function runBuild(config: string, flags: BuildFlags): Promise<void> {
  const output = parseImageRef(flags.output);
  if (output.digest !== undefined) throw new KilnError('USAGE', `--output ${flags.output}: name a tag, not a digest (the digest is what the build produces)`);
  const tag = output.tag ?? 'latest';
  const archs = (flags.arch ?? []).map((a) => {
    const arch = parseArch(a);
    if (arch === undefined) throw new KilnError('USAGE', `--arch: ${JSON.stringify(a)} is not an architecture (x86_64, amd64, aarch64, arm64, …)`);
    return arch;
  });
  const sourceDateEpoch =
    flags.sourceDateEpoch !== undefined ? intOption('--source-date-epoch', flags.sourceDateEpoch, 0, 253402300799) : sourceDateEpochFrom(process.env, DEFAULT_SOURCE_DATE_EPOCH);
  const gzipLevel = flags.compressionLevel !== undefined ? intOption('--compression-level', flags.compressionLevel, 1, 9) : undefined;
  const existingLock = flags.lockfile !== undefined ? await readImageLockfile(flags.lockfile) : undefined;
  if (output.kind === 'layout') await assertLayoutTarget(output.dir);
  if (!flags.sign && (flags.signKey !== undefined || flags.passphraseFile !== undefined)) throw new KilnError('USAGE', '--no-sign: cannot be combined with --sign-key or --passphrase-file');
  // provenance records when the build ran; nothing inside the image or its SBOMs does
  const startedOn = Math.floor(Date.now() / 1000);

  const work = await workDir(output);
  const layerCache = await openLayerCache(flags);
  try {
    const layout = await OciLayout.open(join(work, 'layout'), { create: true });
    const identity = identityOf(output);
    const built = await buildImage({
      configFile: config,
      repos: flags.repo ?? [],
      keyrings: flags.keyring ?? [],
      archs,
      sourceDateEpoch,
      layout,
      tag,
      identity,
      toolVersion: KILN_VERSION,
      ...(gzipLevel !== undefined && { gzipLevel }),
      ...(layerCache !== undefined && { layerCache }),
      ...(existingLock !== undefined && flags.lockfile !== undefined && { lock: { file: flags.lockfile, lockfile: existingLock } }),
    });
    for (const w of built.warnings) process.stderr.write(`warning: ${w}\n`);
    // the key is loaded after the build passed its checks and before anything is published
    const signing = flags.sign
      ? await resolveImageSigningKey({
          ...(flags.signKey !== undefined && { signKey: flags.signKey }),
          ...(flags.passphraseFile !== undefined && { passphraseFile: flags.passphraseFile }),
          env: process.env,
          stateDir: flags.state,
        })
      : undefined;
    if (signing?.generated !== undefined) {
      process.stderr.write(`generated the image signing key ${signing.path} (public key ${signing.generated.publicPath}); keep it: every image it signs is verified with that public key\n`);
    }
    const lockBytes = existingLock === undefined && flags.lockfile !== undefined ? encodeImageLockfile(built.lockfile) : undefined;
    const lockInput = flags.lockfile !== undefined ? await lockfileInput(flags.lockfile, lockBytes) : undefined;
    const attach = (store: EvidenceStore): Promise<ImageEvidenceResult | undefined> =>
      signing === undefined
        ? Promise.resolve(undefined)
        : attachImageEvidence({
            store,
            image: built.image,
            facts: built.facts,
            evidence: built.evidence,
            key: signing.key,
            provenance: {
              config: { uri: built.configFiles[0]?.uri ?? basename(config), digest: built.configDigest as Digest },
              configFiles: built.configFiles,
              ...(lockInput !== undefined && { lockfile: lockInput }),
              tag,
              builderId: KILN_IMAGE_BUILDER_ID,
              toolVersion: KILN_VERSION,
              startedOn,
              now: () => Math.floor(Date.now() / 1000),
            },
          });
    const evidence = await publish(layout, output, tag, built, attach, identity);
    if (signing === undefined) {
      process.stderr.write(`warning: --no-sign: ${formatImageRef({ ...output, tag })} carries no signature, SBOM or provenance; kiln verify fails on it\n`);
    }
    let lockAction: 'written' | 'used' | undefined;
    if (flags.lockfile !== undefined) {
      if (lockBytes !== undefined) await writeFileAtomic(flags.lockfile, lockBytes);
      lockAction = existingLock === undefined ? 'written' : 'used';
    }
    printSummary(config, { ...output, tag }, built, flags, lockAction, signing, evidence);
  } finally {
    await rm(work, { recursive: true, force: true });
    // entries still being written, and trimming: a cache that cannot keep them costs only speed
    await layerCache?.settle().catch(() => undefined);
  }
}

/**
 * The layer cache the flags ask for: none with --no-layer-cache; --layer-cache DIR must
 * work (an error otherwise); the default under the state directory is only a speed-up,
 * so a build goes on without it, saying why.
 */
async function openLayerCache(flags: BuildFlags): Promise<DeflateRunCache | undefined> {
  if (flags.layerCache === false) return undefined;
  if (flags.layerCache !== undefined) return DeflateRunCache.open(flags.layerCache);
  try {
    return await DeflateRunCache.open(join(flags.state, 'cache', 'layers'));
  } catch (e) {
    process.stderr.write(`warning: ${(e as Error).message}; building without the layer cache\n`);
    return undefined;
  }
}

/** How the SBOMs and signatures name the image: `HOST/REPO` for a registry, the directory's name for a layout. */
function identityOf(output: ImageRef): ImageIdentity {
  if (output.kind === 'layout') {
    const name = basename(resolve(output.dir));
    return { name, repository: name };
  }
  return { name: output.repository.split('/').pop() ?? output.repository, repository: `${output.host}/${output.repository}` };
}

/** The lockfile as provenance names it: its file name and the digest of its bytes (as written by this build, or as read). */
async function lockfileInput(path: string, written: string | undefined): Promise<BuildInputFile> {
  const bytes = written !== undefined ? Buffer.from(written, 'utf8') : await readFile(path);
  return { uri: basename(path), digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest };
}

/** An oci: output must be absent, an empty directory, or an OCI layout; anything else is left alone. */
async function assertLayoutTarget(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined) return;
  if (!st.isDirectory()) throw new KilnError('USAGE', `--output oci:${dir}: exists and is not a directory`);
  const names = await readdir(dir);
  if (names.length > 0 && !names.includes('oci-layout')) throw new KilnError('USAGE', `--output oci:${dir}: the directory is not empty and holds no OCI layout; choose another`);
}

/** A private directory for the build: beside an oci: output (so the final rename stays on one filesystem), else in the temp dir. */
async function workDir(output: ImageRef): Promise<string> {
  if (output.kind === 'layout') {
    const parent = dirname(resolve(output.dir));
    if (await stat(parent).then((s) => s.isDirectory(), () => false)) return mkdtemp(join(parent, `.${basename(output.dir)}.kiln-build-`));
  }
  return mkdtemp(join(tmpdir(), 'kiln-image-build-'));
}

/**
 * Moves the finished image to the output and attaches its evidence there. A new layout
 * gets the evidence while it is still the temporary layout and is then renamed into
 * place whole; an existing layout and a registry receive the image through the copy
 * code (blobs, then manifests, the tags last) and the evidence right after, since a
 * signature can only point at a manifest the target already has.
 */
async function publish(
  layout: OciLayout,
  output: ImageRef,
  tag: string,
  built: BuiltImage,
  attach: (store: EvidenceStore) => Promise<ImageEvidenceResult | undefined>,
  identity: ImageIdentity,
): Promise<ImageEvidenceResult | undefined> {
  const source: ImageRef = { kind: 'layout', dir: layout.dir, tag };
  if (output.kind === 'layout') {
    const st = await stat(output.dir).catch(() => undefined);
    const empty = st !== undefined && (await readdir(output.dir)).length === 0;
    if (st === undefined || empty) {
      const evidence = await attach(new LayoutEvidenceStore(layout, identity.repository));
      await mkdir(dirname(resolve(output.dir)), { recursive: true });
      if (empty) await rmdir(output.dir);
      await moveInto(layout.dir, output.dir);
      return evidence;
    }
  }
  const target: ImageRef = { ...output, tag };
  await copyByReference(source, target, { referrers: false });
  if (output.kind === 'layout') {
    for (const i of built.image.images) {
      const perArch = archTag(tag, i.arch);
      await copyByReference({ ...source, tag: perArch }, { ...output, tag: perArch }, { referrers: false });
    }
    return attach(new LayoutEvidenceStore(await OciLayout.open(output.dir), identity.repository));
  }
  return attach((await openEvidenceStore(target)).store);
}

async function moveInto(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    // another filesystem: copy beside the target, then rename, so it still appears whole
    const staging = join(dirname(resolve(to)), `.${basename(to)}.kiln-${randomBytes(6).toString('hex')}`);
    try {
      await cp(from, staging, { recursive: true });
      await rename(staging, to);
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  }
}

function archTag(tag: string, arch: Arch): string {
  const p = ociPlatformOf(arch);
  return `${tag}-${[p.architecture, p.variant].filter(Boolean).join('_')}`;
}

function printSummary(
  config: string,
  output: ImageRef,
  built: BuiltImage,
  flags: BuildFlags,
  lockAction: 'written' | 'used' | undefined,
  signing: ImageSigningKeySource | undefined,
  evidence: ImageEvidenceResult | undefined,
): void {
  const archs = built.image.images.map((i) => {
    const r = built.rootfs.find((x) => x.arch === i.arch);
    const packages = (r?.resolution.packages ?? []).map((p) => ({ name: p.entry.name, version: p.entry.version, checksum: p.entry.checksum }));
    return { arch: i.arch, platform: ociPlatformOf(i.arch), manifest: i.manifest.digest, config: i.config.digest, layer: { digest: i.layer.descriptor.digest, size: i.layer.descriptor.size, diffId: i.layer.diffId }, packages };
  });
  if (flags.json) {
    const summary = {
      config,
      output: formatImageRef(output),
      digest: built.image.index.digest,
      configDigest: built.configDigest,
      archs,
      ...(lockAction !== undefined && { lockfile: { path: flags.lockfile, action: lockAction } }),
      evidence: evidenceSummary(signing, evidence),
      warnings: built.warnings,
    };
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const lines = [`built ${config} → ${formatImageRef(output)} ${built.image.index.digest}`];
  for (const a of archs) lines.push(`  ${a.arch.padEnd(8)} ${a.manifest}  ${a.packages.length} packages, layer ${formatBytes(a.layer.size)}`);
  if (lockAction !== undefined) lines.push(`lockfile ${flags.lockfile}: ${lockAction === 'written' ? 'written' : 'rebuilt exactly its packages'}`);
  if (signing !== undefined && evidence !== undefined) {
    lines.push(`signed with ${signing.path} (key ${signing.key.keyId.slice(0, 12)}…): SBOMs (SPDX, CycloneDX), provenance and signatures attached to ${evidence.images.length} platform manifest(s) and the index`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function evidenceSummary(signing: ImageSigningKeySource | undefined, evidence: ImageEvidenceResult | undefined): unknown {
  if (signing === undefined || evidence === undefined) return { signed: false };
  return {
    signed: true,
    key: { path: signing.path, keyId: signing.key.keyId, from: signing.from, ...(signing.generated !== undefined && { generated: true, public: signing.generated.publicPath }) },
    index: { digest: evidence.index.digest, cosignTag: evidence.index.signature.cosignTag, bundleReferrer: evidence.index.signature.bundleReferrer, attestations: evidence.index.attestations },
    images: evidence.images.map((i) => ({
      arch: i.arch,
      digest: i.result.digest,
      cosignTag: i.result.signature.cosignTag,
      attestationTag: i.result.cosignAttestationTag,
      sboms: i.result.sboms,
      attestations: i.result.attestations.map((a) => ({ predicateType: a.predicateType, bundleReferrer: a.bundleReferrer })),
    })),
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
