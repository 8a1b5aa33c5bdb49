import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  kilnRegistryMissing,
  makeImage,
  makeIndex,
  makeReferrer,
  startDockerRegistry,
  startKilnRegistry,
  writeManifests,
  type RunningRegistry,
  type TestManifest,
} from '../../testing/index.ts';
import { RegistryClient } from '../client/client.ts';
import { OciLayout } from '../layout.ts';
import { parseImageRef } from '../reference.ts';
import type { CopyEvent } from './copy-image.ts';
import { copyByReference } from './open-endpoints.ts';

/** An index of two images; a signature on each child, an SBOM on the index, a signature on the SBOM. */
function fixture() {
  const a = makeImage();
  const b = makeImage();
  const index = makeIndex([a, b]);
  const sigA = makeReferrer(a.descriptor, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  const sigB = makeReferrer(b.descriptor, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  const sbom = makeReferrer(index.descriptor, 'application/spdx+json');
  const sbomSig = makeReferrer(sbom.descriptor, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  return { a, b, index, sigA, sigB, sbom, sbomSig, all: [a, b, index, sigA, sigB, sbom, sbomSig], referrers: [sigA, sigB, sbom, sbomSig] };
}

type Fixture = ReturnType<typeof fixture>;

async function assertRegistryHas(client: RegistryClient, repository: string, f: Fixture, tag: string): Promise<void> {
  assert.equal((await client.getManifest(repository, tag)).digest, f.index.digest);
  for (const m of f.all) {
    const got = await client.getManifest(repository, m.digest);
    assert.ok(got.bytes.equals(m.bytes), `manifest ${m.digest} verbatim`);
    for (const blob of m.blobs) assert.ok(await client.headBlob(repository, blob.digest), `blob ${blob.digest}`);
  }
  const referrerDigests = async (s: TestManifest) => (await client.referrers(repository, s.digest)).map((d) => d.digest);
  assert.deepEqual(await referrerDigests(f.index), [f.sbom.digest]);
  assert.deepEqual(await referrerDigests(f.sbom), [f.sbomSig.digest]);
  assert.deepEqual(await referrerDigests(f.a), [f.sigA.digest]);
  assert.deepEqual(await referrerDigests(f.b), [f.sigB.digest]);
}

async function assertLayoutHas(dir: string, f: Fixture, tag: string): Promise<void> {
  const layout = await OciLayout.open(dir);
  assert.equal((await layout.resolve(tag)).digest, f.index.digest);
  for (const m of f.all) {
    assert.ok((await layout.readBlob(m.digest)).equals(m.bytes));
    for (const blob of m.blobs) assert.ok(await layout.hasBlob(blob.digest));
  }
  assert.deepEqual((await layout.referrers(f.index.digest)).map((d) => d.digest), [f.sbom.digest]);
  assert.deepEqual((await layout.referrers(f.sbom.digest)).map((d) => d.digest), [f.sbomSig.digest]);
  assert.deepEqual((await layout.referrers(f.a.digest)).map((d) => d.digest), [f.sigA.digest]);
}

void describe('kiln copy: images with referrers between layouts and registries', () => {
  let dir: string;
  let docker: RunningRegistry;
  let kiln: RunningRegistry | undefined;
  const f = fixture();
  let dockerClient: RegistryClient;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-copy-'));
    docker = await startDockerRegistry();
    if (kilnRegistryMissing() === undefined) kiln = await startKilnRegistry();
    dockerClient = new RegistryClient({ host: docker.host });
    const layout = await OciLayout.open(join(dir, 'src'), { create: true });
    await writeManifests(layout, f.all, [...f.referrers, f.index], 'v1');
  });
  after(async () => {
    await kiln?.close();
    await docker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  void test('layout → docker-registry (referrers via the fallback tag)', async () => {
    const events: CopyEvent[] = [];
    const result = await copyByReference(parseImageRef(`oci:${join(dir, 'src')}:v1`), parseImageRef(`${docker.host}/copy/app:v1`), {
      onProgress: (e) => events.push(e),
    });
    assert.equal(result.digest, f.index.digest);
    assert.equal(result.tag, 'v1');
    assert.equal(result.referrers, 4);
    assert.equal(result.manifests.copied, 7);
    const blobCount = new Set(f.all.flatMap((m) => m.blobs.map((b) => b.digest))).size;
    assert.equal(result.blobs.uploaded, blobCount);
    assert.equal(events.filter((e) => e.kind === 'manifest').length, 7);
    await assertRegistryHas(dockerClient, 'copy/app', f, 'v1');
  });

  void test('a second copy finds everything there', async () => {
    const result = await copyByReference(parseImageRef(`oci:${join(dir, 'src')}:v1`), parseImageRef(`${docker.host}/copy/app:v1`));
    assert.equal(result.blobs.uploaded, 0);
    assert.equal(result.manifests.copied, 0);
    assert.equal(result.manifests.existing, 7);
  });

  void test('within one registry, blobs are mounted', async () => {
    const result = await copyByReference(parseImageRef(`${docker.host}/copy/app:v1`), parseImageRef(`${docker.host}/copy/mounted:v2`));
    assert.equal(result.blobs.uploaded, 0);
    assert.ok(result.blobs.mounted > 0);
    await assertRegistryHas(dockerClient, 'copy/mounted', f, 'v2');
  });

  void test('registry → kiln registry → layout, by digest, keeping the source tag', { skip: kilnRegistryMissing() ?? false }, async () => {
    assert.ok(kiln);
    await copyByReference(parseImageRef(`${docker.host}/copy/app@${f.index.digest}`), parseImageRef(`${kiln.host}/mirror/app:v1`));
    await assertRegistryHas(new RegistryClient({ host: kiln.host }), 'mirror/app', f, 'v1');
    await copyByReference(parseImageRef(`${kiln.host}/mirror/app:v1`), parseImageRef(`oci:${join(dir, 'from-kiln')}`));
    await assertLayoutHas(join(dir, 'from-kiln'), f, 'v1');
  });

  void test('registry → layout, with a tag of its own', async () => {
    const result = await copyByReference(parseImageRef(`${docker.host}/copy/app:v1`), parseImageRef(`oci:${join(dir, 'dst')}:mirrored`));
    assert.equal(result.digest, f.index.digest);
    await assertLayoutHas(join(dir, 'dst'), f, 'mirrored');
  });

  void test("cosign's digest-named .sig tag travels with the image, layout → registry → layout", async () => {
    const image = makeImage();
    // cosign's form: a manifest under the tag sha256-<hex>.sig, not a referrer
    const sig = makeImage({ label: 'cosign-signature' });
    const layout = await OciLayout.open(join(dir, 'cosign-src'), { create: true });
    await writeManifests(layout, [image, sig], [image], 'v1');
    const sigTag = `${image.digest.replace(':', '-')}.sig`;
    await layout.addManifest(sig.descriptor, sigTag);
    await copyByReference(parseImageRef(`oci:${join(dir, 'cosign-src')}:v1`), parseImageRef(`${docker.host}/copy/cosign:v1`));
    const client = new RegistryClient({ host: docker.host });
    assert.equal((await client.getManifest('copy/cosign', sigTag)).digest, sig.digest);
    await copyByReference(parseImageRef(`${docker.host}/copy/cosign:v1`), parseImageRef(`oci:${join(dir, 'cosign-dst')}:v1`));
    assert.equal((await (await OciLayout.open(join(dir, 'cosign-dst'))).resolve(sigTag)).digest, sig.digest);
    // without referrers, the signature tag stays behind
    await copyByReference(parseImageRef(`oci:${join(dir, 'cosign-src')}:v1`), parseImageRef(`oci:${join(dir, 'cosign-bare')}:v1`), { referrers: false });
    assert.deepEqual(await (await OciLayout.open(join(dir, 'cosign-bare'))).tags(), ['v1']);
  });

  void test('--no-referrers copies the image only; a wrong expected digest is refused', async () => {
    const result = await copyByReference(parseImageRef(`oci:${join(dir, 'src')}:v1`), parseImageRef(`oci:${join(dir, 'bare')}:v1`), {
      referrers: false,
    });
    assert.equal(result.referrers, 0);
    assert.deepEqual(await (await OciLayout.open(join(dir, 'bare'))).referrers(f.index.digest), []);
    // a layout with one manifest needs no tag to name it, and its tag carries over
    const sole = await copyByReference(parseImageRef(`oci:${join(dir, 'bare')}`), parseImageRef(`oci:${join(dir, 'bare2')}`));
    assert.equal(sole.digest, f.index.digest);
    assert.equal(sole.tag, 'v1');
    const wrong = f.a.digest;
    await assert.rejects(copyByReference(parseImageRef(`oci:${join(dir, 'src')}:v1`), parseImageRef(`oci:${join(dir, 'x')}@${wrong}`)), {
      code: 'DIGEST_MISMATCH',
    });
  });

  void test('the command: --json summary, exit 2 for a bad reference, exit 1 for a missing image', async () => {
    const main = join(import.meta.dirname, '../../cli/main.ts');
    const run = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [main, 'copy', ...args], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
          resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
        });
      });
    // three processes at once: start-up time dominates
    const [ok, bad, missing] = await Promise.all([
      run(`oci:${join(dir, 'src')}:v1`, `${docker.host}/cli/app:latest`, '--json'),
      run('not a ref', `oci:${dir}/y`),
      run(`${docker.host}/cli/app:nope`, `oci:${dir}/y`),
    ]);
    assert.equal(ok.status, 0, ok.stderr);
    const summary = JSON.parse(ok.stdout) as { digest: string; tag: string; referrers: number };
    assert.equal(summary.digest, f.index.digest);
    assert.equal(summary.tag, 'latest');
    assert.equal(summary.referrers, 4);
    assert.match(ok.stderr, /^uploaded manifest sha256:[0-9a-f]{64} /m);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /error\[REFERENCE_INVALID\]/);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /error\[NOT_FOUND\] .*cli\/app/);
  });
});
