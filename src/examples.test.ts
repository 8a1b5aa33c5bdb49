import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

// End to end, as the README's main command does it: `kiln serve --config
// examples/kiln.yaml` on a fresh state. On its first start the package stage builds GNU
// hello, mini_httpd and busybox-applets from source (their tarballs seeded into the
// source cache from Debian's archive, hello's verified against the pinned upstream key)
// and imports the C library and busybox from Debian; the cycle then publishes the
// catalog's images to kiln's registry. skopeo lists hello's tags and pulls hello and
// hello-dev, which run under runc.
//
// Cold, that is about two minutes (hello from source, its build environment, the
// imports). So the state's costly parts (the APK repository and its key, the source
// cache, apt's lists) are kept in $KILN_TEST_CACHE/examples (default
// /var/cache/kiln-test/examples) under a digest of examples/recipes/, and copied into
// the fresh state of the next run, whose package stage then finds every package
// present (an edit to a recipe builds afresh); build environments are shared through
// $KILN_ENV_CACHE (default /var/cache/kiln-test/environments). KILN_OFFLINE=1 skips the
// test (a cold cache needs the Debian archive).

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const run = promisify(execFile);

async function hasTool(name: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${name}`]).then(() => true, () => false);
}

async function whySkip(): Promise<string | false> {
  if (process.env['KILN_OFFLINE'] === '1') return 'KILN_OFFLINE=1: seeding the source cache needs the Debian archive';
  if (process.arch !== 'x64') return `the example images are built for x86_64; this is ${process.arch}`;
  if (process.getuid?.() !== 0) return 'needs root (bubblewrap builds, runc)';
  for (const tool of ['bwrap', 'mmdebstrap', 'umoci', 'runc', 'skopeo', 'apt-get']) {
    if (!(await hasTool(tool))) return `${tool} is not installed (scripts/install-system-deps.sh)`;
  }
  return false;
}
const skip = await whySkip();

/** A digest of every file under `dir` (names and bytes), sorted: the recipes the cached repository was built from. */
async function treeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)).sort();
  for (const f of files) hash.update(`${relative(dir, f)}\0`).update(await readFile(f)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** What of a state is worth keeping between runs: never the history or the registry. */
const KEPT = ['repo', 'keys', 'sources', 'deb-import', 'debian-sources'];

describe('the example catalog, served by kiln serve', { skip }, () => {
  const envCache = process.env['KILN_ENV_CACHE'] ?? '/var/cache/kiln-test/environments';
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kiln-examples-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('first start: packages built, images published with version, floating and timestamp tags; hello runs under runc', { timeout: 20 * 60_000 }, async (t) => {
    const cache = join(process.env['KILN_TEST_CACHE'] ?? '/var/cache/kiln-test', 'examples', `state-${await treeDigest(join(ROOT, 'examples', 'recipes'))}`);
    const state = join(work, 'state');
    const warm = await access(join(cache, 'repo')).then(() => true, () => false);
    if (warm) await run('cp', ['-a', `${cache}/.`, state]);
    else await mkdir(state, { recursive: true });

    const started = Date.now();
    const serve = spawn(process.execPath, [MAIN, 'serve', '--config', join(ROOT, 'examples', 'kiln.yaml'), '--state', state, '--listen', '127.0.0.1:0'], {
      cwd: work,
      env: { ...process.env, KILN_ENV_CACHE: envCache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    serve.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    serve.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => serve.once('exit', resolve));
    try {
      await until(() => out.includes('kiln serve: published; pull with:') && /docker pull \S+\/mini-httpd:1\.30-dev/.test(out), exited, 18 * 60_000, () => `${out}\n${err}`);
      t.diagnostic(`${warm ? 'warm' : 'cold'} first start to pull commands: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const host = /listening on http:\/\/(\S+)/.exec(out)?.[1] ?? '';

      // the package stage, once in the cycle job: everything built (cold) or found (warm), nothing failed
      const results = out
        .split('\n')
        .filter((l) => l.includes('"event":"package-result"'))
        .map((l) => JSON.parse(l) as { name: string; status: string; reason: string });
      assert.deepEqual(results.map((r) => r.name).sort(), ['busybox-applets', 'busybox-static', 'hello', 'libc6', 'libcrypt1', 'mini-httpd']);
      for (const r of results) assert.equal(r.status, warm ? 'present' : 'built', `${r.name}: ${r.reason}`);
      if (!warm) {
        const log = /\(log (\S+)\)$/.exec(results.find((r) => r.name === 'hello')?.reason ?? '')?.[1] ?? '';
        assert.match(await readFile(log, 'utf8'), /signature by 8ED396E37E38D471A00530D3A9553245FDE9B739 verified/);
        assert.match(out, /sources: hello: seeded: hello_2\.10\.orig\.tar\.gz \(with its upstream signature\) from the Debian archive/);
      }

      // version, floating and timestamp tags, for both variants
      const tags = JSON.parse((await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${host}/hello`])).stdout) as { Tags: string[] };
      for (const tag of ['2.10', '2.10-dev', 'latest', 'latest-dev', '2', '2-dev']) assert.ok(tags.Tags.includes(tag), `${tag} in ${tags.Tags.join(' ')}`);
      assert.ok(tags.Tags.some((tag) => /^2\.10-[0-9]{12}$/.test(tag)), `a timestamp tag in ${tags.Tags.join(' ')}`);
      assert.ok(tags.Tags.some((tag) => /^2\.10-dev-[0-9]{12}$/.test(tag)), `a dev timestamp tag in ${tags.Tags.join(' ')}`);

      // the printed pull command works, and the image runs: no shell in prod
      const layout = join(work, 'hello');
      await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/hello:2.10`, `oci:${layout}:2.10`]);
      const bundle = join(work, 'bundle');
      await run('umoci', ['unpack', '--image', `${layout}:2.10`, bundle]);
      await assert.rejects(lstat(join(bundle, 'rootfs', 'bin', 'sh')), 'the production image has no shell');
      await assert.rejects(lstat(join(bundle, 'rootfs', 'usr', 'share', 'man', 'man1', 'hello.1')), 'the manual is in hello-doc, not in the image');
      assert.equal(await runBundle(bundle), 'Hello, world!\n');

      // the -dev variant: the same program plus busybox and its applet links
      await run('skopeo', ['copy', '--src-tls-verify=false', `docker://${host}/hello:2.10-dev`, `oci:${layout}:2.10-dev`]);
      const devBundle = join(work, 'bundle-dev');
      await run('umoci', ['unpack', '--image', `${layout}:2.10-dev`, devBundle]);
      assert.equal(await readlink(join(devBundle, 'rootfs', 'bin', 'sh')), 'busybox');
      const devOutput = await runBundle(devBundle, ['/bin/sh', '-c', 'hello; id -u; grep -c "^P:" /lib/apk/db/installed']);
      // hello, libc6, libgcc-s1, gcc-12-base, busybox-static, busybox-applets
      assert.equal(devOutput, 'Hello, world!\n65532\n6\n');
    } finally {
      serve.kill('SIGINT');
      assert.equal(await exited, 0, err);
    }

    // keep what the next run can reuse (a complete copy, renamed into place)
    if (!warm) {
      const next = `${cache}.tmp-${process.pid}`;
      await rm(next, { recursive: true, force: true });
      await mkdir(next, { recursive: true });
      for (const part of KEPT) {
        if (await access(join(state, part)).then(() => true, () => false)) await run('cp', ['-a', join(state, part), next]);
      }
      await rm(join(next, 'debian-sources', 'tmp'), { recursive: true, force: true });
      await rename(next, cache).catch(() => rm(next, { recursive: true, force: true }));
    }
  });
});

/** Waits for `done()`, failing early when the process exits first. */
async function until(done: () => boolean, exited: Promise<number | null>, ms: number, output: () => string): Promise<void> {
  let code: number | null | undefined;
  void exited.then((c) => (code = c));
  const deadline = Date.now() + ms;
  while (!done()) {
    if (code !== undefined) throw new Error(`kiln serve exited with ${String(code)} before publishing:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`kiln serve did not publish within ${ms / 1000} s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

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
