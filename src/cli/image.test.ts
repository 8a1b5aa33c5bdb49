import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { decodeApk, encodeApk, indexEntryFor, parseApkVersion, writeApkIndex, type ApkIndexEntry } from '../apk/index.ts';
import { craftApk, dir, file } from '../apk/test-fixtures.ts';
import { ARCH, DATA_DIR_AND_ARCH, createTestRepo, MESSAGE, TEST_EPOCH, testImageConfig, type TestRepo } from '../assemble/rootfs/test-repo.ts';
import { startKilnRegistry } from '../testing/index.ts';
import { runKilnInProcess } from './run-kiln-in-process.ts';

const run = promisify(execFile);

let repo: TestRepo;
let work: string;
before(async () => {
  repo = await createTestRepo();
  work = await mkdtemp(join(tmpdir(), 'kiln-image-cli-'));
  // the default image signing key is generated here, not in the working directory
  process.env['KILN_STATE'] = join(work, 'state');
  await writeFile(join(work, 'hello.yaml'), CONFIG(['hello']));
});
after(async () => {
  await repo.cleanup();
  await rm(work, { recursive: true, force: true });
});


const CONFIG = (packages: readonly string[]): string => testImageConfig(packages, DATA_DIR_AND_ARCH);

type Result = { readonly code: number; readonly stdout: string; readonly stderr: string };

async function kiln(...args: string[]): Promise<Result> {
  const r = await runKilnInProcess(args);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const build = (config: string, output: string, ...extra: string[]): Promise<Result> =>
  kiln('image', 'build', config, '--repo', repo.dir, '--keyring', repo.keyFile, '--output', output, '--json', ...extra);

function digestOf(r: Result): string {
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { digest: string }).digest;
}

/** Every file under a directory with its bytes, for "left untouched". */
async function snapshot(d: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = await readdir(d, { recursive: true }).catch(() => undefined);
  if (names === undefined) return { '(absent)': '' };
  for (const n of names.sort()) {
    const p = join(d, n);
    out[n] = (await lstat(p)).isFile() ? (await readFile(p)).toString('base64') : 'dir';
  }
  return out;
}

describe('kiln image build', () => {
  let layout: string;
  let digest: string;

  test('builds an OCI layout that skopeo reads, umoci unpacks and runc runs as the configured user', async (t) => {
    layout = join(work, 'out');
    const r = await build(join(work, 'hello.yaml'), `oci:${layout}:v1`);
    digest = digestOf(r);
    const summary = JSON.parse(r.stdout) as { archs: { arch: string; packages: { name: string }[] }[] };
    assert.deepEqual(summary.archs.map((a) => [a.arch, a.packages.map((p) => p.name)]), [['x86_64', ['hello', 'hello-data', 'libgreet']]]);

    const inspect = JSON.parse((await run('skopeo', ['inspect', `oci:${layout}:v1`])).stdout) as { Architecture: string; Os: string; Layers: string[] };
    assert.equal(inspect.Architecture, 'amd64');
    assert.equal(inspect.Layers.length, 1);
    const raw = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${layout}:v1`])).stdout) as { mediaType: string };
    assert.equal(raw.mediaType, 'application/vnd.oci.image.index.v1+json');

    if (!repo.staticBinary) return t.skip(repo.skipReason ?? 'no static binary');
    const bundle = join(work, 'bundle');
    await run('umoci', ['unpack', '--image', `${layout}:v1-amd64`, bundle]);
    const rootfs = join(bundle, 'rootfs');
    const mode = async (p: string) => {
      const s = await lstat(join(rootfs, p));
      return [s.mode & 0o7777, s.uid, s.gid];
    };
    assert.deepEqual(await mode('usr/bin/hello'), [0o755, 0, 0]);
    assert.deepEqual(await mode('var/lib/hello'), [0o750, 65532, 65532]);
    assert.deepEqual(await mode('var/lib/hello/state'), [0o600, 65532, 65532]);
    assert.deepEqual(await mode('data'), [0o700, 65532, 65532]);
    assert.deepEqual(await mode('home/nonroot'), [0o755, 65532, 65532]);
    await assert.rejects(lstat(join(rootfs, 'bin/sh')), 'no shell in the image');

    const configPath = join(bundle, 'config.json');
    const spec = JSON.parse(await readFile(configPath, 'utf8')) as { process: { terminal: boolean; args: string[]; user: { uid: number } } };
    spec.process.terminal = false;
    await writeFile(configPath, JSON.stringify(spec));
    assert.deepEqual(spec.process.args, ['/usr/bin/hello']);
    const id = `kiln-test-${randomBytes(4).toString('hex')}`;
    try {
      const { stdout } = await run('runc', ['run', '--bundle', bundle, id]);
      t.diagnostic(`runc: ${stdout.trim()}`);
      assert.equal(stdout, `${MESSAGE} uid=65532 gid=65532\n`);
    } finally {
      await run('runc', ['delete', '-f', id]).catch(() => undefined);
    }
  });

  test('the same image twice, from two temporary directories at different times: the same digest', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const other = await mkdtemp(join(tmpdir(), 'kiln-image-cli-again-'));
    try {
      await writeFile(join(other, 'hello.yaml'), CONFIG(['hello']));
      assert.equal(digestOf(await build(join(other, 'hello.yaml'), `oci:${join(other, 'out')}:v1`)), digest);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('the layer cache: under the state directory by default, where --layer-cache says, none with --no-layer-cache; one digest each way', async () => {
    const entries = async (d: string): Promise<string[]> => ((await readdir(d, { recursive: true }).catch(() => [])) as string[]).filter((n) => n.includes('-l3-'));
    // the first test's build filled the default cache (KILN_STATE is set above)
    const defaultCache = join(work, 'state', 'cache', 'layers');
    const kept = await entries(defaultCache);
    // the static hello binary is the one file large enough to be compressed on its own
    if (repo.staticBinary) assert.ok(kept.length >= 1, `entries in ${defaultCache}: ${kept.join(', ')}`);
    const other = await mkdtemp(join(tmpdir(), 'kiln-image-cli-cache-'));
    try {
      const cache = join(other, 'cache');
      for (const round of [1, 2]) assert.equal(digestOf(await build(join(work, 'hello.yaml'), `oci:${join(other, `out-${round}`)}:v1`, '--layer-cache', cache)), digest);
      assert.deepEqual(await entries(cache), kept);
      assert.equal(digestOf(await build(join(work, 'hello.yaml'), `oci:${join(other, 'out-none')}:v1`, '--no-layer-cache', '--state', join(other, 'state'))), digest);
      assert.deepEqual(await readdir(join(other, 'state')).catch(() => []), ['keys'], 'no cache directory without a cache');
      // a cache that cannot be made: an error when asked for, a warning when it is the default
      await writeFile(join(other, 'a-file'), '');
      const refused = await build(join(work, 'hello.yaml'), `oci:${join(other, 'out-bad')}:v1`, '--layer-cache', join(other, 'a-file', 'cache'));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /layer cache .*a-file\/cache: cannot create the directory \(ENOTDIR\)/);
      const warned = await build(join(work, 'hello.yaml'), `oci:${join(other, 'out-warned')}:v1`, '--state', join(other, 'a-file'));
      assert.match(warned.stderr, /warning: layer cache .*: cannot create the directory \(ENOTDIR\); building without the layer cache/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  test('kiln copy into the embedded registry, and --output to a registry: skopeo inspects both', async () => {
    const registry = await startKilnRegistry();
    try {
      const copied = await kiln('copy', '--quiet', `oci:${layout}:v1`, `${registry.host}/hello:v1`);
      assert.equal(copied.code, 0, copied.stderr);
      const direct = await build(join(work, 'hello.yaml'), `${registry.host}/direct:v1`);
      assert.equal(digestOf(direct), digest);
      for (const ref of [`${registry.host}/hello:v1`, `${registry.host}/direct:v1`]) {
        const raw = JSON.parse((await run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout) as { manifests: unknown[] };
        assert.equal(raw.manifests.length, 1);
        const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--format', '{{.Digest}} {{.Architecture}}', `docker://${ref}`]);
        assert.match(stdout, /^sha256:[0-9a-f]{64} amd64\n$/);
      }
    } finally {
      await registry.close();
    }
  });

  test('two architectures: one image each and an index over them, tagged per platform', async () => {
    const config = join(work, 'tool-multi.yaml');
    await writeFile(config, CONFIG(['tool']));
    const out = join(work, 'multi');
    const r = await build(config, `oci:${out}:v1`, '--arch', 'arm64', 'x86_64');
    const summary = JSON.parse(r.stdout) as { digest: string; archs: { arch: string; platform: { architecture: string } }[] };
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(summary.archs.map((a) => [a.arch, a.platform.architecture]), [['aarch64', 'arm64'], ['x86_64', 'amd64']]);
    const raw = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${out}:v1`])).stdout) as { manifests: { platform: { architecture: string } }[] };
    assert.deepEqual(raw.manifests.map((m) => m.platform.architecture), ['arm64', 'amd64']);
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
    const tags = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']).filter((t) => t !== undefined && !t.startsWith('sha256-'));
    assert.deepEqual(tags.sort(), ['v1', 'v1-amd64', 'v1-arm64'], 'the image tags (besides the evidence tags sha256-<hex>.sig/.att)');
    const arm = JSON.parse((await run('skopeo', ['inspect', `oci:${out}:v1-arm64`])).stdout) as { Architecture: string };
    assert.equal(arm.Architecture, 'arm64');
  });

  test('--lockfile: written on the first build; with it, a newer package in the repository is ignored', async () => {
    const repoCopy = await mkdtemp(join(tmpdir(), 'kiln-image-cli-repo-'));
    const config = join(work, 'tool.yaml');
    const lock = join(work, 'tool.lock.json');
    try {
      await cp(repo.dir, repoCopy, { recursive: true });
      await writeFile(config, CONFIG(['tool']));
      const opts = (out: string, ...more: string[]) => kiln('image', 'build', config, '--repo', repoCopy, '--keyring', repo.keyFile, '--output', `oci:${join(work, out)}`, '--json', ...more);
      const first = await opts('tool-1', '--lockfile', lock);
      const firstDigest = digestOf(first);
      const written = JSON.parse(await readFile(lock, 'utf8')) as { lockfileVersion: number; configDigest: string; archs: Record<string, { name: string; version: string; checksum: string }[]> };
      assert.equal(written.lockfileVersion, 1);
      assert.match(written.configDigest, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(written.archs[ARCH]?.map((p) => `${p.name}-${p.version}`), ['tool-2.0-r0']);

      // a newer tool appears in the (re-signed) repository
      {
        const info = { name: 'tool', version: parseApkVersion('3.0-r0'), arch: ARCH, description: 'newer', url: '', license: 'MIT', buildDate: TEST_EPOCH, depends: [], provides: [], replaces: [], installIf: [], triggers: [] };
        const apk = await encodeApk({ info, files: [{ kind: 'file', path: 'usr/share/tool/version', mode: 0o644, uid: 0, gid: 0, content: Buffer.from('3.0\n') }], key: repo.key, sourceDateEpoch: TEST_EPOCH });
        await writeFile(join(repoCopy, ARCH, 'tool-3.0-r0.apk'), apk.bytes);
        const entries = [...repo.entries(), indexEntryFor(await decodeApk(apk.bytes, { keys: new Map([[repo.key.keyName, repo.key.publicPem]]) }))];
        await writeApkIndex(join(repoCopy, ARCH, 'APKINDEX.tar.gz'), { entries, key: repo.key, sourceDateEpoch: TEST_EPOCH });
      }
      const unlocked = JSON.parse((await opts('tool-2')).stdout) as { digest: string; archs: { packages: { version: string }[] }[] };
      assert.equal(unlocked.archs[0]?.packages[0]?.version, '3.0-r0');
      assert.notEqual(unlocked.digest, firstDigest);
      const locked = await opts('tool-3', '--lockfile', lock);
      assert.equal(digestOf(locked), firstDigest);
      assert.equal((JSON.parse(locked.stdout) as { lockfile: { action: string } }).lockfile.action, 'used');

      // the repository loses the locked build: an error, not a silent upgrade
      await rm(join(repoCopy, ARCH, 'tool-2.0-r0.apk'));
      const entries = repo.entries().filter((e) => !(e.name === 'tool' && e.version === '2.0-r0'));
      await writeApkIndex(join(repoCopy, ARCH, 'APKINDEX.tar.gz'), { entries, key: repo.key, sourceDateEpoch: TEST_EPOCH });
      const gone = await opts('tool-4', '--lockfile', lock);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /error\[LOCK_MISMATCH\].*tool-2\.0-r0 is not in the repositories/);
    } finally {
      await rm(repoCopy, { recursive: true, force: true });
    }
  });

  test('bad input is refused with the right code, and the output is left untouched', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'kiln-image-cli-bad-'));
    try {
      const tampered = join(bad, 'tampered');
      await cp(repo.dir, tampered, { recursive: true });
      const apk = join(tampered, ARCH, 'hello-data-1.0-r0.apk');
      const bytes = await readFile(apk);
      bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
      await writeFile(apk, bytes);
      const strangerIndex = join(bad, 'stranger');
      await cp(repo.dir, strangerIndex, { recursive: true });
      await writeApkIndex(join(strangerIndex, ARCH, 'APKINDEX.tar.gz'), { entries: repo.entries(), key: repo.otherKey, sourceDateEpoch: TEST_EPOCH });
      const escaping = join(bad, 'escaping');
      await cp(repo.dir, escaping, { recursive: true });
      const crafted = await craftApk([dir('usr/'), file('usr/../../etc/shadow', 'x')], repo.key);
      await writeFile(join(escaping, ARCH, 'crafted-1.0-r0.apk'), crafted);
      const craftedEntry: ApkIndexEntry = { ...(repo.entries()[0] as ApkIndexEntry), name: 'crafted', version: parseApkVersion('1.0-r0'), depends: [], provides: [], replaces: [], size: crafted.length };
      await writeApkIndex(join(escaping, ARCH, 'APKINDEX.tar.gz'), { entries: [...repo.entries(), craftedEntry], key: repo.key, sourceDateEpoch: TEST_EPOCH });

      const configs = {
        unknown: CONFIG(['hello', 'no-such-thing']),
        unsatisfiable: CONFIG(['hello', 'refuses-hello']),
        conflict: CONFIG(['hello', 'clash']),
        hello: CONFIG(['hello']),
        crafted: CONFIG(['crafted']),
        malformed: 'contents:\n  packages: [hello\nentrypoint:\n  command: /usr/bin/hello\n',
      };
      for (const [name, text] of Object.entries(configs)) await writeFile(join(bad, `${name}.yaml`), text);
      const cases: { config: string; repo?: string; code: number; error: RegExp }[] = [
        { config: 'unknown', code: 2, error: /error\[PACKAGE_UNKNOWN\].*no-such-thing.*searched .*kiln-test-repo-/ },
        { config: 'unsatisfiable', code: 2, error: /error\[UNSATISFIABLE\].*refuses-hello.*hello/ },
        { config: 'conflict', code: 2, error: /error\[FILE_CONFLICT\] \/usr\/bin\/hello: hello-1\.0-r0 brings a file .* but clash-1\.0-r0 installed a file there/ },
        { config: 'hello', repo: tampered, code: 1, error: /error\[DIGEST_MISMATCH\].*hello-data-1\.0-r0\.apk: the data stream hashes to/ },
        { config: 'hello', repo: strangerIndex, code: 1, error: /error\[SIGNATURE_INVALID\].*APKINDEX\.tar\.gz: signed by unknown key stranger-/ },
        { config: 'crafted', repo: escaping, code: 2, error: /error\[PATH_UNSAFE\].*"\.\." component/ },
        { config: 'malformed', code: 2, error: /error\[CONFIG_INVALID\] .*malformed\.yaml:\d+:\d+/ },
      ];
      const absent = join(bad, 'never');
      const before = await snapshot(layout);
      for (const c of cases) {
        for (const out of [layout, absent]) {
          const r = await kiln('image', 'build', join(bad, `${c.config}.yaml`), '--repo', c.repo ?? repo.dir, '--keyring', repo.keyFile, '--output', `oci:${out}:broken`, '--lockfile', join(bad, 'never.lock.json'));
          assert.equal(r.code, c.code, `${c.config}: ${r.stderr}`);
          assert.match(r.stderr, c.error);
        }
      }
      assert.deepEqual(await snapshot(layout), before, 'the existing layout is unchanged');
      assert.deepEqual(await snapshot(absent), { '(absent)': '' }, 'no new output appeared');
      assert.deepEqual((await readdir(bad)).filter((n) => n.startsWith('.') || n.startsWith('never')), [], 'no temp directories or lockfile left behind');
      assert.deepEqual((await readdir(work)).filter((n) => n.includes('kiln-build')), []);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
