import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { isKilnError } from '../../errors/index.ts';
import { normaliseDebianPackages, parseDpkgQuery } from './debian-provider.ts';
import { ensureEnvironment } from './ensure-environment.ts';
import { environmentKey } from './environment-key.ts';
import type { EnvironmentProvider } from './environment-provider.ts';
import { testBuildEnvironment, testEnvironmentCacheDir } from './test-environment.ts';

/** A provider that writes a marker instead of installing anything, to test the cache on its own. */
function markerProvider(opts: { failWith?: string; delayMs?: number } = {}): EnvironmentProvider & { builds: number } {
  const p = {
    kind: 'debian' as const,
    identity: { suite: 'test', arch: 'amd64', mirror: 'http://archive.invalid/debian' },
    builds: 0,
    normalisePackages: normaliseDebianPackages,
    async build(req: { packages: readonly string[]; rootfs: string; log: (l: string) => void }) {
      p.builds += 1;
      req.log(`building ${req.packages.join(' ')}`);
      await mkdir(join(req.rootfs, 'bin'), { recursive: true });
      if (opts.delayMs) await sleep(opts.delayMs);
      if (opts.failWith) throw new Error(opts.failWith);
      await writeFile(join(req.rootfs, 'bin', 'marker'), req.packages.join('\n'));
      return { installed: req.packages.map((name) => ({ name, version: '1.0-1', arch: 'amd64', origin: 'debian' as const })) };
    },
  };
  return p;
}

async function withCacheDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-env-cache-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('package lists are normalised: order, duplicates and spaces do not change the key', () => {
  const p = markerProvider();
  const a = environmentKey(p, p.normalisePackages(['make', ' gcc', 'make']));
  const b = environmentKey(p, p.normalisePackages(['gcc', 'make']));
  assert.equal(a, b);
  assert.notEqual(a, environmentKey({ ...p, identity: { ...p.identity, suite: 'other' } }, p.normalisePackages(['gcc', 'make'])));
  for (const bad of ['-oDebug=1', 'a,b', 'Gcc', '', 'x y']) {
    assert.throws(() => normaliseDebianPackages([bad]), (e) => isKilnError(e) && e.code === 'INPUT_INVALID', bad);
  }
  assert.deepEqual(normaliseDebianPackages(['libc6:amd64', 'gcc=4:12.2.0-3']), ['gcc=4:12.2.0-3', 'libc6:amd64']);
});

test('dpkg-query output: installed packages only, sorted', () => {
  const out = 'ii \tmake\t4.3-4.1\tamd64\nrc \told\t1\tamd64\nii \tbash\t5.2.15-2+b2\tamd64\n';
  assert.deepEqual(parseDpkgQuery(out), [
    { name: 'bash', version: '5.2.15-2+b2', arch: 'amd64', origin: 'debian' },
    { name: 'make', version: '4.3-4.1', arch: 'amd64', origin: 'debian' },
  ]);
});

test('an environment is built once, recorded, then served from the cache', async () => {
  await withCacheDir(async (cacheDir) => {
    const provider = markerProvider();
    const first = await ensureEnvironment({ cacheDir, provider, packages: ['make', 'gcc'] });
    assert.equal(first.cached, false);
    assert.equal(first.dir, join(cacheDir, first.hash));
    assert.equal(await readFile(join(first.rootfs, 'bin', 'marker'), 'utf8'), 'gcc\nmake');
    const record = JSON.parse(await readFile(join(first.dir, 'environment.json'), 'utf8')) as { requested: string[] };
    assert.deepEqual(record.requested, ['gcc', 'make']);
    assert.deepEqual(JSON.parse(await readFile(join(first.dir, 'packages.json'), 'utf8')), first.installed);
    assert.match(await readFile(join(first.dir, 'build.log'), 'utf8'), /building gcc make/);

    const again = await ensureEnvironment({ cacheDir, provider, packages: ['gcc', 'make', 'gcc'] });
    assert.equal(again.cached, true);
    assert.equal(again.hash, first.hash);
    assert.deepEqual(again.installed, first.installed);
    assert.equal(provider.builds, 1);
    assert.deepEqual((await readdir(cacheDir)).sort(), [first.hash]);
  });
});

test('concurrent requests for one environment build it once', async () => {
  await withCacheDir(async (cacheDir) => {
    const provider = markerProvider({ delayMs: 300 });
    const waits: string[] = [];
    const all = await Promise.all(
      [1, 2, 3].map(() => ensureEnvironment({ cacheDir, provider, packages: ['make'], log: (l) => waits.push(l) })),
    );
    assert.equal(provider.builds, 1);
    assert.deepEqual(all.map((e) => e.cached).sort(), [false, true, true]);
    assert.ok(waits.some((l) => l.includes('waiting for another process')));
  });
});

test('a failed build leaves nothing behind and says why', async () => {
  await withCacheDir(async (cacheDir) => {
    const provider = markerProvider({ failWith: 'E: Unable to locate package nosuch' });
    await assert.rejects(
      ensureEnvironment({ cacheDir, provider, packages: ['nosuch'] }),
      (e) => isKilnError(e) && e.code === 'ENVIRONMENT_FAILED' && /Unable to locate package nosuch/.test(e.message),
    );
    assert.deepEqual(await readdir(cacheDir), []);
  });
});

test('a provider that cannot even start (a missing host tool) fails with its reason, nothing else', async () => {
  await withCacheDir(async (cacheDir) => {
    const { runHostCommand } = await import('./host-command.ts');
    const provider: EnvironmentProvider = {
      ...markerProvider(),
      // a line logged right away, then a spawn failure: the log file is still opening when it fails
      build: async (req) => {
        req.log('starting');
        await runHostCommand('/nonexistent/mmdebstrap', [], { env: {}, timeoutMs: 5_000, log: req.log });
        return { installed: [] };
      },
    };
    await assert.rejects(ensureEnvironment({ cacheDir, provider, packages: ['make'] }), (e) => isKilnError(e) && /cannot run \/nonexistent\/mmdebstrap/.test(e.message));
    await sleep(50);
    assert.deepEqual(await readdir(cacheDir), []);
  });
});

test('a lock left by a dead process is taken over', async () => {
  await withCacheDir(async (cacheDir) => {
    const provider = markerProvider();
    const hash = environmentKey(provider, ['make']);
    // pid 2^22+1 is above the kernel's pid_max, so it cannot be running
    await writeFile(join(cacheDir, `${hash}.lock`), `4194305@${(await import('node:os')).hostname()}\n`);
    await mkdir(join(cacheDir, `.tmp-${hash}-1-1`, 'rootfs'), { recursive: true });
    const env = await ensureEnvironment({ cacheDir, provider, packages: ['make'], lockTimeoutMs: 5_000 });
    assert.equal(env.cached, false);
    assert.deepEqual((await readdir(cacheDir)).sort(), [hash]);
  });
});

test('real: a Debian build-essential environment from mmdebstrap, cached across runs', { timeout: 15 * 60 * 1000 }, async () => {
  const started = performance.now();
  const env = await testBuildEnvironment();
  const firstMs = Math.round(performance.now() - started);
  process.stderr.write(`# environment ${env.hash} in ${testEnvironmentCacheDir()}: ${env.cached ? 'cached' : 'built'} in ${firstMs} ms\n`);
  assert.ok((await stat(join(env.rootfs, 'usr/bin/gcc'))).isFile() || (await stat(join(env.rootfs, 'usr/bin/gcc'))).isSymbolicLink());
  assert.ok((await stat(join(env.rootfs, 'usr/bin/make'))).isFile());
  const names = new Set(env.installed.map((p) => p.name));
  for (const name of ['build-essential', 'gcc', 'make', 'libc6-dev', 'dpkg']) assert.ok(names.has(name), `${name} installed`);
  assert.ok(env.installed.every((p) => p.version !== ''));
  assert.deepEqual(env.record.requested, ['build-essential']);
  assert.equal(env.record.provider.kind, 'debian');
  assert.ok(!names.has('apt'), 'the essential variant leaves apt out');

  // a second request (as a later run would make) comes from the cache in well under a second
  const { ensureEnvironment: ensure } = await import('./ensure-environment.ts');
  const { debianProvider } = await import('./debian-provider.ts');
  const { resolveDebianArchive } = await import('./debian-archive.ts');
  const t = performance.now();
  const again = await ensure({ cacheDir: testEnvironmentCacheDir(), provider: debianProvider(await resolveDebianArchive()), packages: ['build-essential'] });
  const cachedMs = Math.round(performance.now() - t);
  process.stderr.write(`# environment again: cached=${again.cached} in ${cachedMs} ms\n`);
  assert.equal(again.cached, true);
  assert.equal(again.hash, env.hash);
  assert.ok(cachedMs < 2_000);
});
