import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { imageWithInstalledDb, sampleFacts, samplePackages } from '../attest/attest-fixtures.ts';
import { LayoutEvidenceStore, attachEvidence, generateImageSigningKey, parseSigningKey } from '../attest/index.ts';
import { OciLayout, RegistryClient } from '../oci/index.ts';
import { startRegistry, type RunningRegistry } from '../registry/index.ts';
import { pushManifests, writeManifests } from '../testing/index.ts';

const MAIN = join(import.meta.dirname, 'main.ts');

type Run = { readonly status: number | null; readonly stdout: string; readonly stderr: string };

/** Runs kiln in a child (async, so that a registry in this process keeps answering). */
function kiln(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

void describe('kiln sign / verify / sbom', () => {
  let dir: string;
  let registry: RunningRegistry;
  const packages = samplePackages(4);
  const key = generateImageSigningKey({ passphrase: 'correct horse' });
  const paths = { key: '', pub: '', pass: '', wrongPass: '', otherPub: '', garbage: '' };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-cli-attest-'));
    registry = await startRegistry({ storageDir: join(dir, 'registry'), port: 0 });
    const files = {
      key: key.privatePem,
      pub: key.publicPem,
      pass: 'correct horse\n',
      wrongPass: 'battery staple\n',
      otherPub: generateImageSigningKey().publicPem,
      garbage: '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n',
    };
    for (const [name, text] of Object.entries(files)) {
      paths[name as keyof typeof paths] = join(dir, name);
      await writeFile(join(dir, name), text);
    }
  });
  after(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('oci layout: sign, verify (text and --json), wrong key, sbom after attaching evidence', async () => {
    const image = await imageWithInstalledDb(packages);
    const layoutDir = join(dir, 'layout');
    const layout = await OciLayout.open(layoutDir, { create: true });
    await writeManifests(layout, [image], [image], 'v1');
    const ref = `oci:${layoutDir}:v1`;

    const signed = await kiln('sign', ref, '--key', paths.key, '--passphrase-file', paths.pass);
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stdout, new RegExp(`signed ${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${image.digest}`));

    const ok = await kiln('verify', ref, '--key', paths.pub);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^PASS {2}signature\.cosign/m);
    assert.match(ok.stdout, /^PASS {2}signature\.bundle/m);
    assert.match(ok.stdout, /^SKIP {2}attestations\.complete +no attestations attached/m);

    const wrong = await kiln('verify', ref, '--key', paths.otherPub);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /error\[VERIFY_FAILED\] signature\.cosign: sha256-[0-9a-f]{64}\.sig: the signature on layer sha256:[0-9a-f]{12}… does not verify with the public key/);

    const noSbom = await kiln('sbom', ref);
    assert.equal(noSbom.status, 1);
    assert.match(noSbom.stderr, /error\[NOT_FOUND\].*no spdx SBOM attached/);

    await attachEvidence({
      target: new LayoutEvidenceStore(layout, 'hello'),
      manifestDigest: image.digest,
      facts: sampleFacts(image.digest, packages),
      key: parseSigningKey(key.privatePem, 'key', 'correct horse'),
    });
    const json = await kiln('verify', ref, '--key', paths.pub, '--json');
    assert.equal(json.status, 0, json.stdout);
    const result = JSON.parse(json.stdout) as { ok: boolean; digest: string; checks: { name: string; status: string }[] };
    assert.equal(result.ok, true);
    assert.equal(result.digest, image.digest);
    assert.ok(result.checks.some((c) => c.name === 'sbom.installed' && c.status === 'pass'));

    const cdx = await kiln('sbom', ref, '--format', 'cyclonedx');
    assert.equal(cdx.status, 0, cdx.stderr);
    assert.equal((JSON.parse(cdx.stdout) as { bomFormat: string }).bomFormat, 'CycloneDX');
    const spdx = await kiln('sbom', ref);
    assert.equal((JSON.parse(spdx.stdout) as { spdxVersion: string }).spdxVersion, 'SPDX-2.3');
  });

  test('registry reference: sign and verify; bad keys are clear input errors (exit 2)', async () => {
    const image = await imageWithInstalledDb(packages);
    await pushManifests(new RegistryClient({ host: registry.host }), 'kiln/app', [image], 'v1');
    const ref = `${registry.host}/kiln/app:v1`;
    const signed = await kiln('sign', ref, '--key', paths.key, '--passphrase-file', paths.pass);
    assert.equal(signed.status, 0, signed.stderr);
    const ok = await kiln('verify', ref, '--key', paths.pub);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, new RegExp(`signed by [0-9a-f]{12}… for ${registry.host}/kiln/app@sha256`));

    const wrongPass = await kiln('sign', ref, '--key', paths.key, '--passphrase-file', paths.wrongPass);
    assert.equal(wrongPass.status, 2);
    assert.match(wrongPass.stderr, /error\[KEY_INVALID\] .*key: the passphrase is wrong or the key is damaged/);
  });
});
