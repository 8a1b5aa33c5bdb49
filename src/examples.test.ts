import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { access, lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

// End to end, as the README's "Build the examples" does it: GNU hello from its upstream
// release tarball (seeded into the source cache from Debian's archive, verified against
// the pinned upstream key), the C library imported from Debian, the example image
// configurations assembled, unpacked with umoci and run with runc.
//
// Costs are kept down by stable caches: the source cache, apt indexes and .debs live in
// $KILN_TEST_CACHE/examples (default /var/cache/kiln-test/examples), build environments
// in $KILN_ENV_CACHE (default /var/cache/kiln-test/environments). KILN_OFFLINE=1 skips
// the test (seeding needs the Debian archive on a cold cache).

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const HELLO_SHA256 = '31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b';
const run = promisify(execFile);

async function hasTool(name: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${name}`]).then(() => true, () => false);
}

async function whySkip(): Promise<string | false> {
  if (process.env['KILN_OFFLINE'] === '1') return 'KILN_OFFLINE=1: seeding the source cache needs the Debian archive';
  if (process.arch !== 'x64') return `the example images are built for x86_64; this is ${process.arch}`;
  if (process.getuid?.() !== 0) return 'needs root (bubblewrap builds, runc)';
  for (const tool of ['bwrap', 'mmdebstrap', 'umoci', 'runc', 'apt-get']) {
    if (!(await hasTool(tool))) return `${tool} is not installed (scripts/install-system-deps.sh)`;
  }
  return false;
}
const skip = await whySkip();

type Result = { readonly status: number | null; readonly stdout: string; readonly stderr: string; readonly seconds: number };

/** Runs a command with its output collected; `cwd` keeps kiln's default state (./.kiln) out of the checkout. */
function exec(cmd: string, args: readonly string[], opts: { cwd: string; env?: Record<string, string> }): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

describe('the example hello image, built from source', { skip }, () => {
  const cache = join(process.env['KILN_TEST_CACHE'] ?? '/var/cache/kiln-test', 'examples');
  const envCache = process.env['KILN_ENV_CACHE'] ?? '/var/cache/kiln-test/environments';
  let work: string;
  let key: string;
  const repo = (): string => join(work, 'repo');
  const kiln = async (args: readonly string[]): Promise<Result> => {
    const r = await exec(process.execPath, [MAIN, ...args], { cwd: work, env: { KILN_ENV_CACHE: envCache } });
    assert.equal(r.status, 0, `kiln ${args.join(' ')} exited with ${String(r.status)}:\n${r.stderr}\n${r.stdout}`);
    return r;
  };
  const timings: string[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kiln-examples-'));
    await mkdir(cache, { recursive: true });
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
    // the cache keeps sources, apt indexes and .debs; not every run's logs and build dirs
    await rm(join(cache, 'logs'), { recursive: true, force: true });
    await rm(join(cache, 'builds'), { recursive: true, force: true });
  });

  test('seed, build hello from source, import libc6, assemble the image, run it under runc', { timeout: 20 * 60_000 }, async (t) => {
    // 1. seed (only when the cache lacks the tarball); Debian's upstream key is the pinned one
    const seeded = await access(join(cache, 'sources', 'sha256', HELLO_SHA256)).then(() => true, () => false);
    if (!seeded) {
      const keysDir = join(work, 'upstream-keys');
      const r = await exec('bash', [join(ROOT, 'scripts', 'seed-sources-from-debian.sh'), '--state', cache, '--keys-dir', keysDir, 'hello'], { cwd: work });
      assert.equal(r.status, 0, `seeding from Debian failed (set KILN_OFFLINE=1 to skip this test):\n${r.stderr}`);
      timings.push(`seed ${r.seconds.toFixed(1)} s`);
      const fromDebian = await readFile(join(keysDir, 'hello-upstream-signing-key.asc'), 'utf8');
      assert.equal(fromDebian, await readFile(join(ROOT, 'examples', 'recipes', 'keys', 'hello-upstream-signing-key.asc'), 'utf8'), 'the pinned hello key is the one in Debian\'s source package');
    }

    // 2. a fresh APK signing key for this run
    const generated = JSON.parse((await kiln(['keys', 'generate', '--out', join(work, 'keys'), '--json'])).stdout) as { private: string; public: string };
    key = generated.private;

    // 3. hello from source, offline: the cache serves the tarball and the verified signature
    const built = await kiln(['package', 'build', join(ROOT, 'examples', 'recipes', 'hello.yaml'), '--repo', repo(), '--state', cache, '--key', key]);
    timings.push(`package build ${built.seconds.toFixed(1)} s`);
    assert.match(built.stdout, /hello-2\.10-r0 x86_64 /);
    assert.match(built.stdout, /tested: hello/);
    const log = await readFile(/^log: (.+)$/m.exec(built.stdout)?.[1] ?? '', 'utf8');
    assert.match(log, /fetch: sha256:31e06613\S* found in the source cache/);
    assert.match(log, /signature by 8ED396E37E38D471A00530D3A9553245FDE9B739 verified/);

    // 4. the C library from Debian (and for the -dev variant, busybox)
    const imported = await kiln(['package', 'import-deb', 'libc6', 'busybox-static', '--with-deps', '--repo', repo(), '--state', cache, '--key', key]);
    timings.push(`import-deb ${imported.seconds.toFixed(1)} s`);
    assert.match(imported.stdout + imported.stderr, /imported libc6 /);

    // 5. the production image
    const layout = join(work, 'hello');
    const image = await kiln(['image', 'build', join(ROOT, 'examples', 'images', 'hello.apko.yaml'), '--repo', repo(), '--keyring', generated.public, '--output', `oci:${layout}:2.10`]);
    timings.push(`image build ${image.seconds.toFixed(1)} s`);

    // 6. unpack and run it
    const bundle = join(work, 'bundle');
    await run('umoci', ['unpack', '--image', `${layout}:2.10-amd64`, bundle]);
    const rootfs = join(bundle, 'rootfs');
    await assert.rejects(lstat(join(rootfs, 'bin', 'sh')), 'the production image has no shell');
    await assert.rejects(lstat(join(rootfs, 'usr', 'share', 'man', 'man1', 'hello.1')), 'the manual is in hello-doc, not in the image');
    const output = await runBundle(bundle);
    t.diagnostic(`runc: ${JSON.stringify(output)}`);
    assert.equal(output, 'Hello, world!\n');

    // 7. the -dev variant: the same program plus a busybox shell
    const dev = await kiln(['image', 'build', join(ROOT, 'examples', 'images', 'hello-dev.apko.yaml'), '--repo', repo(), '--keyring', generated.public, '--output', `oci:${layout}:2.10-dev`]);
    timings.push(`dev image build ${dev.seconds.toFixed(1)} s`);
    const devBundle = join(work, 'bundle-dev');
    await run('umoci', ['unpack', '--image', `${layout}:2.10-dev-amd64`, devBundle]);
    assert.equal(await readlink(join(devBundle, 'rootfs', 'bin', 'sh')), 'busybox');
    const devOutput = await runBundle(devBundle, ['/bin/sh', '-c', 'hello; id -u; grep -c "^P:" /lib/apk/db/installed']);
    t.diagnostic(`runc (dev): ${JSON.stringify(devOutput)}`);
    assert.equal(devOutput, 'Hello, world!\n65532\n5\n');
    t.diagnostic(timings.join(', '));
  });
});

/** `runc run` on an unpacked bundle, without a terminal, optionally with other args; returns stdout. */
async function runBundle(bundle: string, args?: readonly string[]): Promise<string> {
  const configPath = join(bundle, 'config.json');
  const spec = JSON.parse(await readFile(configPath, 'utf8')) as { process: { terminal: boolean; args: string[] } };
  spec.process.terminal = false;
  if (args) spec.process.args = [...args];
  await writeFile(configPath, JSON.stringify(spec));
  const id = `kiln-example-${randomBytes(4).toString('hex')}`;
  try {
    const { stdout } = await run('runc', ['run', '--bundle', bundle, id]);
    return stdout;
  } finally {
    await run('runc', ['delete', '-f', id]).catch(() => undefined);
  }
}
