import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CYCLONEDX_MEDIA_TYPE,
  RegistryEvidenceStore,
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  SPDX_MEDIA_TYPE,
  cosignSignatureTag,
  loadSigningKey,
  readAttachedSbom,
  referrerManifest,
  storeArtifact,
} from '../attest/index.ts';
import { DATA_DIR_AND_ARCH, createTestRepo, testImageConfig, type TestRepo } from '../assemble/rootfs/test-repo.ts';

const CONFIG = testImageConfig(['hello'], DATA_DIR_AND_ARCH);
import { RegistryClient, digestOf, type Digest } from '../oci/index.ts';
import { startRegistry, type RunningRegistry } from '../registry/index.ts';
import { runKilnInProcess } from './run-kiln-in-process.ts';

type Result = { readonly code: number; readonly stdout: string; readonly stderr: string };

async function kiln(...args: string[]): Promise<Result> {
  const r = await runKilnInProcess(args);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `kiln …` in a child process (async, so the registry in this process keeps answering). */
function kilnChild(...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, 'main.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}


let repo: TestRepo;
let work: string;
let registry: RunningRegistry;
let client: RegistryClient;
const keys = { dir: '', private: '', public: '', pass: '' };

before(async () => {
  repo = await createTestRepo();
  work = await mkdtemp(join(tmpdir(), 'kiln-image-evidence-'));
  process.env['KILN_STATE'] = join(work, 'state');
  delete process.env['KILN_IMAGE_KEY'];
  await writeFile(join(work, 'hello.yaml'), CONFIG);
  registry = await startRegistry({ storageDir: join(work, 'registry'), port: 0 });
  client = new RegistryClient({ host: registry.host });
});
after(async () => {
  await registry.close();
  await repo.cleanup();
  await rm(work, { recursive: true, force: true });
});

const build = (output: string, ...extra: string[]): Promise<Result> =>
  kiln('image', 'build', join(work, 'hello.yaml'), '--repo', repo.dir, '--keyring', repo.keyFile, '--output', output, '--json', ...extra);

type Summary = { digest: Digest; archs: { manifest: Digest; packages: { name: string; version: string }[] }[]; evidence: { signed: boolean; key?: { generated?: boolean } } };

function summaryOf(r: Result): Summary {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Summary;
}

describe('kiln keys generate --kind image', () => {
  test('a P-256 pair: private 0600, public beside it; encrypted with --passphrase-file, which loading then needs', async () => {
    keys.dir = join(work, 'keys');
    keys.pass = join(work, 'pass.txt');
    await writeFile(keys.pass, 'correct horse\n');
    const r = await kiln('keys', 'generate', '--kind', 'image', '--out', keys.dir, '--passphrase-file', keys.pass, '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { kind: string; private: string; public: string };
    assert.equal(out.kind, 'image');
    keys.private = out.private;
    keys.public = out.public;
    assert.equal((await stat(out.private)).mode & 0o777, 0o600);
    assert.match(await readFile(out.private, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.match(await readFile(out.public, 'utf8'), /BEGIN PUBLIC KEY/);
    await assert.rejects(loadSigningKey(out.private), /the key is encrypted; give its passphrase/);
    const key = await loadSigningKey(out.private, { passphraseFile: keys.pass });
    assert.equal(key.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.doesNotMatch(r.stdout + r.stderr, /correct horse/, 'the passphrase is never printed');

    const again = await kiln('keys', 'generate', '--kind', 'image', '--out', keys.dir);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    const plain = await kiln('keys', 'generate', '--kind', 'image', '--out', join(work, 'plain-keys'));
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(await readFile(join(work, 'plain-keys', 'kiln-image.key'), 'utf8'), /BEGIN PRIVATE KEY/);
    assert.match(plain.stdout, /image key [0-9a-f]{16}\n {2}private: .*kiln-image\.key\n {2}public: {2}.*kiln-image\.pub/);
  });
});

describe('kiln image build --output REGISTRY: evidence', () => {
  let ref: string;
  let digest: Digest;
  let platform: Digest;

  test('verify passes, the SBOM lists exactly the installed packages, .sig tag and referrers are there', async () => {
    ref = `${registry.host}/kiln/hello:v1`;
    const s = summaryOf(await build(ref, '--sign-key', keys.private, '--passphrase-file', keys.pass));
    digest = s.digest;
    platform = s.archs[0]?.manifest as Digest;
    assert.equal(s.evidence.signed, true);

    const verified = await kiln('verify', ref, '--key', keys.public);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /^PASS {2}signature\.cosign/m);
    assert.match(verified.stdout, /^PASS {2}signature\.bundle/m);
    assert.match(verified.stdout, /^PASS {2}attestations\.complete .*https:\/\/slsa\.dev\/provenance\/v1 in both forms/m);
    const perPlatform = await kiln('verify', `${registry.host}/kiln/hello@${platform}`, '--key', keys.public, '--json');
    assert.equal(perPlatform.code, 0, perPlatform.stdout);
    const checks = (JSON.parse(perPlatform.stdout) as { checks: { name: string; status: string }[] }).checks;
    assert.ok(checks.some((c) => c.name === 'sbom.installed' && c.status === 'pass'), 'the platform SBOM matches its lib/apk/db/installed');

    // kiln sbom writes the document's bytes (a Buffer, which the in-process capture passes through): run it as a child
    const sbom = await kilnChild('sbom', ref, '--format', 'spdx');
    assert.equal(sbom.code, 0, sbom.stderr);
    const doc = JSON.parse(sbom.stdout) as { packages: { name: string; versionInfo?: string; externalRefs?: { referenceLocator: string }[] }[] };
    const apks = doc.packages.filter((p) => p.externalRefs?.some((r) => r.referenceLocator.startsWith('pkg:apk/'))).map((p) => `${p.name}-${p.versionInfo}`);
    assert.deepEqual(apks.sort(), s.archs[0]?.packages.map((p) => `${p.name}-${p.version}`).sort());
    assert.deepEqual(apks.sort(), ['hello-1.0-r0', 'hello-data-1.0-r0', 'libgreet-1.0-r0']);

    for (const d of [digest, platform]) {
      assert.ok(await client.tryGetManifest('kiln/hello', cosignSignatureTag(d)), `${cosignSignatureTag(d)} exists`);
      const types = new Set((await client.referrers('kiln/hello', d)).map((r) => r.artifactType));
      for (const t of [SIGSTORE_BUNDLE_MEDIA_TYPE, SPDX_MEDIA_TYPE, CYCLONEDX_MEDIA_TYPE]) assert.ok(types.has(t), `${d} has a ${t} referrer`);
    }
  });

  test('building it again: the same digest and byte-identical SBOM referrers', async () => {
    const sbomReferrers = async (d: Digest) => (await client.referrers('kiln/hello', d)).filter((r) => r.artifactType === SPDX_MEDIA_TYPE || r.artifactType === CYCLONEDX_MEDIA_TYPE).map((r) => r.digest).sort();
    const before = { index: await sbomReferrers(digest), platform: await sbomReferrers(platform) };
    const spdx = await readAttachedSbom(ref, 'spdx');
    const cdx = await readAttachedSbom(ref, 'cyclonedx');
    assert.equal(before.index.length, 2);
    const s = summaryOf(await build(ref, '--sign-key', keys.private, '--passphrase-file', keys.pass));
    assert.equal(s.digest, digest);
    assert.deepEqual({ index: await sbomReferrers(digest), platform: await sbomReferrers(platform) }, before, 'no new SBOM referrer: the same manifests');
    assert.ok((await readAttachedSbom(ref, 'spdx')).equals(spdx));
    assert.ok((await readAttachedSbom(ref, 'cyclonedx')).equals(cdx));
    const verified = await kiln('verify', ref, '--key', keys.public);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  test('--no-sign publishes with a warning and no evidence: verify fails with "no signature"', async () => {
    const unsigned = `${registry.host}/kiln/unsigned:v1`;
    const r = await build(unsigned, '--no-sign');
    const s = summaryOf(r);
    assert.equal(s.evidence.signed, false);
    assert.match(r.stderr, /warning: --no-sign: .*unsigned:v1 carries no signature, SBOM or provenance/);
    assert.ok(await client.tryGetManifest('kiln/unsigned', 'v1'));
    const verified = await kiln('verify', unsigned, '--key', keys.public);
    assert.equal(verified.code, 1);
    assert.match(verified.stderr, /error\[VERIFY_FAILED\] signature\.cosign: no signature/);
  });

  test('without --sign-key: the state directory key, generated once (and said where); oci: outputs get evidence too', async () => {
    const out = join(work, 'layout');
    const first = await build(`oci:${out}:v1`);
    assert.equal(summaryOf(first).evidence.key?.generated, true);
    const generated = join(work, 'state', 'keys', 'kiln-image.key');
    assert.match(first.stderr, new RegExp(`generated the image signing key ${generated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.equal((await stat(generated)).mode & 0o777, 0o600);
    const verified = await kiln('verify', `oci:${out}:v1`, '--key', join(work, 'state', 'keys', 'kiln-image.pub'));
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    const second = await build(`${registry.host}/kiln/default-key:v1`);
    assert.equal(summaryOf(second).evidence.key?.generated, undefined);
    assert.doesNotMatch(second.stderr, /generated the image signing key/);
    const bad = await build(`${registry.host}/kiln/bad-pass:v1`, '--sign-key', keys.private);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /error\[KEY_INVALID\].*the key is encrypted/);
    assert.equal(await client.tryGetManifest('kiln/bad-pass', 'v1'), undefined, 'a build that cannot sign publishes nothing');
  });

  test('tampering with what the build attached is caught: an SBOM referrer that is not the signed document', async () => {
    const store = new RegistryEvidenceStore(client, 'kiln/hello');
    const forged = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'forged', documentNamespace: 'https://example.com/forged', packages: [] }));
    const found = await client.tryGetManifest('kiln/hello', platform);
    assert.ok(found);
    const subject = { mediaType: found.mediaType, digest: platform, size: found.bytes.length };
    await storeArtifact(store, referrerManifest(subject, SPDX_MEDIA_TYPE, { mediaType: SPDX_MEDIA_TYPE, digest: digestOf(forged), size: forged.length }, forged, {}));
    const r = await kiln('verify', `${registry.host}/kiln/hello@${platform}`, '--key', keys.public);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error\[VERIFY_FAILED\] sbom\.referrer spdx: referrer sha256:[0-9a-f]{12}…: the SBOM blob .* is not the signed https:\/\/spdx\.dev\/Document attestation's document/);
  });

  test('two platforms: each platform manifest carries its own SBOMs and provenance, the index its signature', async () => {
    const config = join(work, 'tool.yaml');
    await writeFile(config, CONFIG.replace('packages: [hello]', 'packages: [tool]').replace('archs: [x86_64]', 'archs: [x86_64, aarch64]'));
    const multi = `${registry.host}/kiln/tool:v1`;
    const r = await kiln('image', 'build', config, '--repo', repo.dir, '--keyring', repo.keyFile, '--output', multi, '--json', '--sign-key', keys.private, '--passphrase-file', keys.pass);
    const s = summaryOf(r);
    const index = await kiln('verify', multi, '--key', keys.public);
    assert.equal(index.code, 0, index.stdout + index.stderr);
    assert.match(index.stdout, /^SKIP {2}attestations\.complete +no attestations attached \(signature only\)/m);
    assert.equal(s.archs.length, 2);
    for (const a of s.archs) {
      const v = await kiln('verify', `${registry.host}/kiln/tool@${a.manifest}`, '--key', keys.public);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /^PASS {2}sbom\.installed +1 installed packages/m);
      assert.match(v.stdout, /^PASS {2}attestations\.complete .*slsa\.dev\/provenance\/v1 in both forms/m);
    }
  });
});
