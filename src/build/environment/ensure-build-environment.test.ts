import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateApkSigningKey, type GeneratedApkSigningKey, type SolverRepository } from '../../apk/index.ts';
import { isKilnError } from '../../errors/index.ts';
import { runInSandbox, type LogLine } from '../sandbox/index.ts';
import { ensureBuildEnvironment, type BuildEnvironmentRequest } from './ensure-build-environment.ts';
import type { BuildEnvironment } from './ensure-environment.ts';
import type { EnvironmentProvider } from './environment-provider.ts';
import { kilnRepositoriesFor, readKilnRepositories } from './kiln-repositories.ts';
import { splitEnvironmentRequests } from './kiln-packages.ts';
import { testBuildEnvironment } from './test-environment.ts';
import { kilnHelloPackages, writeTestRepo } from './test-kiln-repo.ts';

const offline = process.env['KILN_OFFLINE'] === '1' ? 'KILN_OFFLINE=1: the Debian archive is not used' : process.arch !== 'x64' ? 'the Debian import test runs on amd64' : false;

/** Where tests keep what they download ($KILN_TEST_CACHE), as the Debian import tests do. */
async function testCacheRoot(): Promise<string> {
  const wanted = process.env['KILN_TEST_CACHE'] ?? (process.getuid?.() === 0 ? '/var/cache/kiln-test' : join(tmpdir(), 'kiln-test-cache'));
  await mkdir(wanted, { recursive: true });
  return wanted;
}

let work: string;
let key: GeneratedApkSigningKey;
let stranger: GeneratedApkSigningKey;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-kiln-env-'));
  key = generateApkSigningKey({ bits: 2048, prefix: 'kiln-env-test' });
  stranger = generateApkSigningKey({ bits: 2048, prefix: 'stranger' });
});
after(async () => rm(work, { recursive: true, force: true }));

const keys = (): Map<string, string> => new Map([[key.keyName, key.publicPem]]);

/** A provider that must not run: environments made of kiln's packages alone never call mmdebstrap. */
function forbiddenProvider(): EnvironmentProvider & { calls: number } {
  const p = {
    kind: 'debian' as const,
    identity: { suite: 'test', arch: 'amd64', mirror: 'http://archive.invalid/debian' },
    calls: 0,
    normalisePackages: (x: readonly string[]) => [...x].sort(),
    build: async () => {
      p.calls += 1;
      throw new Error('the Debian provider was asked to build');
    },
  };
  return p;
}

async function repos(dir: string): Promise<SolverRepository[]> {
  return readKilnRepositories({ repositories: [{ dir }], keys: keys(), warnings: [] }, 'x86_64');
}

function request(over: Partial<BuildEnvironmentRequest> & Pick<BuildEnvironmentRequest, 'cacheDir' | 'requests' | 'repositories' | 'provider'>): BuildEnvironmentRequest {
  return { keys: keys(), arch: 'x86_64', packagesFor: (r) => r.filter((x) => !x.startsWith('!')), where: 'test.yaml environment.contents.packages', ...over };
}

async function runIn(env: BuildEnvironment, script: string): Promise<{ code: number | null; out: string }> {
  const dir = await mkdtemp(join(work, 'sandbox-'));
  const ws = join(dir, 'ws');
  await mkdir(ws);
  const lines: LogLine[] = [];
  const r = await runInSandbox({ rootfs: env.rootfs, workspace: ws, script, sourceDateEpoch: 0, log: { path: join(dir, 'log'), onLine: (l) => lines.push(l) } });
  return { code: r.exitCode, out: lines.map((l) => l.line).join('\n') };
}

test('requests are split: kiln answers by name, provides or tag; the rest goes to Debian', async () => {
  const repo = join(work, 'split');
  await writeTestRepo(repo, kilnHelloPackages(), key);
  const [r] = await repos(repo);
  assert.ok(r);
  const split = splitEnvironmentRequests(['build-base', 'kiln-hello>=1', 'cmd:kiln-hello', 'other@local', '!bash', 'gcc=4:12.2.0-3', 'make'], [r]);
  assert.deepEqual(split.kiln, ['kiln-hello>=1', 'cmd:kiln-hello', 'other@local', '!bash']);
  assert.deepEqual(split.other, ['build-base', '!bash', 'gcc=4:12.2.0-3', 'make']);
  // a tagged repository answers only requests naming its tag
  assert.deepEqual(splitEnvironmentRequests(['kiln-hello'], [{ ...r, tag: 'local' }]).kiln, []);
});

test('recipe repositories and keys: local directories, "@tag DIR", remote ones left out with a warning', async () => {
  await writeFile(join(work, 'extra.rsa.pub'), key.publicPem);
  const k = await kilnRepositoriesFor({
    repositories: ['./tools', '@local ../local', 'https://packages.wolfi.dev/os'],
    keyring: ['../extra.rsa.pub', 'https://packages.wolfi.dev/os/wolfi-signing.rsa.pub'],
    baseDir: join(work, 'recipes'),
    where: 'r.yaml environment.contents',
    extra: [{ dir: join(work, 'out'), optional: true }, { dir: join(work, 'recipes', 'tools') }],
  });
  assert.deepEqual(k.repositories, [
    { dir: join(work, 'out'), optional: true },
    { dir: join(work, 'recipes', 'tools') },
    { dir: join(work, 'local'), tag: 'local' },
  ]);
  assert.deepEqual([...k.keys.keys()], ['extra.rsa.pub']);
  assert.equal(k.warnings.length, 2);
  // the build's own repository before its first build has no index: skipped, not an error
  assert.deepEqual(await readKilnRepositories({ repositories: [{ dir: join(work, 'out'), optional: true }], keys: k.keys, warnings: [] }, 'x86_64'), []);
  await assert.rejects(
    kilnRepositoriesFor({ repositories: [], keyring: ['missing.pub'], baseDir: work, where: 'r.yaml' }),
    (e) => isKilnError(e) && e.code === 'NOT_FOUND' && /missing\.pub/.test(e.message),
  );
});

describe('environments with kiln packages', { concurrency: false }, () => {
  test('kiln packages alone: no mmdebstrap; a new version or new content is a new environment', async () => {
    const repo = join(work, 'alone');
    const cacheDir = join(work, 'cache-alone');
    await writeTestRepo(repo, kilnHelloPackages(), key);
    const provider = forbiddenProvider();
    const first = await ensureBuildEnvironment(request({ cacheDir, requests: ['kiln-hello'], repositories: await repos(repo), provider }));
    assert.equal(provider.calls, 0);
    assert.equal(first.record.provider.kind, 'apk');
    assert.equal(first.record.base, undefined);
    assert.deepEqual(first.record.requested, ['kiln-hello-data=1.0-r0', 'kiln-hello=1.0-r0']);
    assert.deepEqual(first.installed.map((p) => [p.name, p.version, p.origin, p.repository]), [
      ['kiln-hello', '1.0-r0', 'kiln', repo],
      ['kiln-hello-data', '1.0-r0', 'kiln', repo],
    ]);
    assert.match(await readFile(join(first.rootfs, 'bin/kiln-hello'), 'utf8'), /hello from kiln 1\.0-r0/);
    assert.match(await readFile(join(first.rootfs, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);

    const again = await ensureBuildEnvironment(request({ cacheDir, requests: ['kiln-hello'], repositories: await repos(repo), provider }));
    assert.equal(again.cached, true);
    assert.equal(again.hash, first.hash);

    // the same name and version rebuilt with other content: another checksum, another environment
    await writeTestRepo(repo, kilnHelloPackages('1.0-r0', 'rebuilt'), key);
    const rebuilt = await ensureBuildEnvironment(request({ cacheDir, requests: ['kiln-hello'], repositories: await repos(repo), provider }));
    assert.notEqual(rebuilt.hash, first.hash);
    assert.notEqual(rebuilt.record.provider.identity['checksum:kiln-hello'], first.record.provider.identity['checksum:kiln-hello']);

    // a newer version: chosen, and another environment again
    await writeTestRepo(repo, kilnHelloPackages('1.1-r0'), key);
    const newer = await ensureBuildEnvironment(request({ cacheDir, requests: ['kiln-hello'], repositories: await repos(repo), provider }));
    assert.ok(![first.hash, rebuilt.hash].includes(newer.hash));
    assert.equal(newer.installed.find((p) => p.name === 'kiln-hello')?.version, '1.1-r0');
    assert.equal(provider.calls, 0);
  });

  test('a package with a bad signature, or an index by an unknown key, is refused before anything is built', async () => {
    const repo = join(work, 'bad');
    const cacheDir = join(work, 'cache-bad');
    await mkdir(cacheDir);
    // kiln-hello signed by a stranger, listed in an index the trusted key signs
    await writeTestRepo(repo, kilnHelloPackages().slice(1), key);
    await writeTestRepo(repo, kilnHelloPackages().slice(0, 1), stranger, { indexKey: key });
    const provider = forbiddenProvider();
    await assert.rejects(
      ensureBuildEnvironment(request({ cacheDir, requests: ['build-essential', 'kiln-hello'], repositories: await repos(repo), provider })),
      (e) => isKilnError(e) && e.code === 'SIGNATURE_INVALID' && /kiln-hello-1\.0-r0\.apk/.test(e.message),
    );
    assert.equal(provider.calls, 0, 'Debian was not asked either');
    assert.deepEqual(await readdir(cacheDir), []);

    const strangerIndex = join(work, 'bad-index');
    await writeTestRepo(strangerIndex, kilnHelloPackages(), stranger);
    await assert.rejects(repos(strangerIndex), (e) => isKilnError(e) && e.code === 'SIGNATURE_INVALID');
  });

  test('real: kiln packages on the shared Debian build-essential environment; the tool runs in the sandbox', { timeout: 15 * 60 * 1000 }, async () => {
    const debian = await testBuildEnvironment();
    const repo = join(work, 'layered');
    await writeTestRepo(repo, kilnHelloPackages(), key);
    // a private cache for the layered environment, holding the shared Debian one by a link
    const cacheDir = join(work, 'cache-layered');
    await mkdir(cacheDir);
    await symlink(debian.dir, join(cacheDir, debian.hash));
    const { resolveDebianArchive } = await import('./debian-archive.ts');
    const { debianProvider } = await import('./debian-provider.ts');
    const provider = debianProvider(await resolveDebianArchive());
    const started = performance.now();
    const env = await ensureBuildEnvironment(request({ cacheDir, requests: ['build-essential', 'kiln-hello'], repositories: await repos(repo), provider }));
    process.stderr.write(`# layered environment ${env.hash}: built in ${Math.round(performance.now() - started)} ms\n`);
    assert.equal(env.cached, false);
    assert.deepEqual(env.split, { kiln: ['kiln-hello'], other: ['build-essential'] });
    assert.equal(env.record.provider.kind, 'apk');
    assert.equal(env.record.base?.hash, debian.hash);
    assert.equal(env.record.provider.identity['base'], debian.hash);
    const byName = new Map(env.installed.map((p) => [p.name, p]));
    assert.deepEqual(byName.get('kiln-hello'), { name: 'kiln-hello', version: '1.0-r0', arch: 'x86_64', origin: 'kiln', repository: repo, checksum: env.record.provider.identity['checksum:kiln-hello'] });
    assert.equal(byName.get('make')?.origin, 'debian');
    assert.equal(byName.get('build-essential')?.origin, 'debian');
    assert.deepEqual(env.record.overwritten, [{ path: 'etc/debian_version', by: 'kiln-hello-data', was: 'base-files' }]);
    // the cached Debian environment is untouched (the layered one is a hard-linked copy)
    assert.notEqual(await readFile(join(debian.rootfs, 'etc/debian_version'), 'utf8'), 'kiln\n');

    const r = await runIn(env, 'command -v kiln-hello; kiln-hello; cat /etc/debian_version; command -v gcc');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^\/usr\/bin\/kiln-hello$/m, 'bin/kiln-hello landed in usr/bin through merged /usr');
    assert.match(r.out, /greetings\nhello from kiln 1\.0-r0\nkiln\n\/usr\/bin\/gcc/);
  });

  test('real: busybox-static imported from Debian is a whole environment: no mmdebstrap, a shell from its applets', { skip: offline, timeout: 10 * 60 * 1000 }, async () => {
    const repo = join(work, 'busybox');
    const { AptArchive, importDebs, parseDebRequest } = await import('../deb-import/index.ts');
    const { SourceCache } = await import('../source/index.ts');
    const root = join(await testCacheRoot(), 'deb-import');
    const source = new AptArchive({ dir: join(root, 'apt', 'amd64'), arch: 'amd64' });
    await source.ensureLists();
    const imported = await importDebs({ requests: [parseDebRequest('busybox-static')], source, repo, arch: 'x86_64', key, cache: new SourceCache(join(root, 'debs')) });
    assert.deepEqual(imported.map((r) => r.status), ['imported'], JSON.stringify(imported));
    await writeTestRepo(repo, kilnHelloPackages(), key);
    const provider = forbiddenProvider();
    // `busybox`, as recipes name it, is what Debian's busybox-static provides
    const env = await ensureBuildEnvironment(request({ cacheDir: join(work, 'cache-busybox'), requests: ['busybox', 'kiln-hello'], repositories: await repos(repo), provider }));
    assert.equal(provider.calls, 0);
    assert.deepEqual(env.installed.map((p) => `${p.name}:${p.origin}`), ['busybox-static:kiln', 'kiln-hello:kiln', 'kiln-hello-data:kiln']);
    const r = await runIn(env, 'kiln-hello; ls /bin/sh; echo a b | wc -w; id -un');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /hello from kiln 1\.0-r0\n\/bin\/sh\n\s*2\nbuild/);
  });
});
