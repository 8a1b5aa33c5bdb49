import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateApkSigningKey, readApkIndex, publicPemOf, writeApk } from '../apk/index.ts';
import { greetRecipe, makeGreetTarball, serveFiles } from '../build/package/testing/greet-fixture.ts';

const MAIN = join(import.meta.dirname, 'main.ts');

/** Runs kiln asynchronously (the fixture's HTTP server lives in this process). */
function kiln(args: readonly string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-cli-package-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('keys generate writes an APK key pair; an unknown kind is bad usage', async () => {
  const r = await kiln(['keys', 'generate', '--out', join(work, 'keys'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { kind: string; name: string; private: string; public: string };
  assert.equal(out.kind, 'apk');
  assert.match(out.name, /^kiln-[0-9a-f]{8}\.rsa\.pub$/);
  assert.deepEqual((await readdir(join(work, 'keys'))).sort(), [out.name.replace(/\.pub$/, ''), out.name]);
  assert.equal((await kiln(['keys', 'generate', '--kind', 'nonsense'])).status, 2);
});

test('repo index signs an index of the packages present, and refuses one signed by another key', async () => {
  const key = generateApkSigningKey({ bits: 2048 });
  const keyFile = join(work, 'repo-key.rsa');
  await writeFile(keyFile, key.privatePem);
  const repo = join(work, 'repo');
  const info = { version: '1.0-r0' as never, arch: 'x86_64', description: 'd', url: '', license: 'MIT', buildDate: 5, depends: [], provides: [], replaces: [], installIf: [], triggers: [] };
  const file = { kind: 'file' as const, path: 'usr/share/x', mode: 0o644, uid: 0, gid: 0, content: Buffer.from('x') };
  const signer = { privatePem: key.privatePem, keyName: 'repo-key.rsa.pub' };
  await writeApk(join(repo, 'x86_64', 'a-1.0-r0.apk'), { info: { ...info, name: 'a' }, files: [file], key: signer, sourceDateEpoch: 5 });
  await writeApk(join(repo, 'x86_64', 'b-1.0-r0.apk'), { info: { ...info, name: 'b' }, files: [file], key: signer, sourceDateEpoch: 5 });
  const r = await kiln(['repo', 'index', repo, '--key', keyFile]);
  assert.equal(r.status, 0, r.stderr);
  const index = await readApkIndex(join(repo, 'x86_64', 'APKINDEX.tar.gz'), { keys: new Map([['repo-key.rsa.pub', publicPemOf(key.privatePem)]]) });
  assert.deepEqual(index.entries.map((e) => e.name), ['a', 'b']);

  const other = join(work, 'other.rsa');
  await writeFile(other, generateApkSigningKey({ bits: 2048 }).privatePem);
  const bad = await kiln(['repo', 'index', repo, '--key', other]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /error\[SIGNATURE_INVALID\]/);
});

test('package build: progress on stderr, a summary on stdout, a key generated on first use', async () => {
  const upstream = join(work, 'upstream');
  await mkdir(upstream, { recursive: true });
  const tarball = await makeGreetTarball(upstream);
  const server = await serveFiles(new Map([['/greet-1.0.tar.gz', tarball.bytes]]));
  try {
    const recipe = join(work, 'greet.yaml');
    await writeFile(recipe, greetRecipe({ url: server.url, sha256: tarball.sha256 }));
    const state = join(work, 'state');
    const r = await kiln(['package', 'build', recipe, '--repo', join(work, 'built'), '--state', state], { KILN_ENV_CACHE: process.env['KILN_ENV_CACHE'] ?? '/var/cache/kiln-test/environments' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /generated signing key .*kiln-[0-9a-f]{8}\.rsa/);
    for (const stage of ['[plan]', '[source]', '[build]', '[test]', '[publish]']) assert.ok(r.stderr.includes(stage), stage);
    assert.match(r.stdout, /greet-1\.0-r0 x86_64 .* sha256:[0-9a-f]{64}\s+Q1/);
    assert.match(r.stdout, /^log: .*\.log$/m);
    const missing = await kiln(['package', 'build', join(work, 'nope.yaml'), '--repo', join(work, 'built'), '--state', state]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /error\[NOT_FOUND\]/);
  } finally {
    await server.close();
  }
});
