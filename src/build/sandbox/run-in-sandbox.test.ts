import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isKilnError } from '../../errors/index.ts';
import { testBuildEnvironment } from '../environment/test-environment.ts';
import { runInSandbox } from './run-in-sandbox.ts';
import { assertSandboxSucceeded } from './sandbox-failure.ts';
import type { LogLine } from './sandbox-options.ts';

// One environment for every test here (and the environment tests): built by mmdebstrap on a
// machine's first run, from the cache afterwards.
const ENV_TIMEOUT = 15 * 60 * 1000;
let rootfs = '';
let scratch = '';

before(async () => {
  rootfs = (await testBuildEnvironment()).rootfs;
  scratch = await mkdtemp(join(tmpdir(), 'kiln-sandbox-'));
}, { timeout: ENV_TIMEOUT });

after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function workspace(name: string): Promise<{ ws: string; log: string }> {
  const ws = join(scratch, name, 'ws');
  await mkdir(ws, { recursive: true });
  return { ws, log: join(scratch, name, 'build.log') };
}

const HELLO_C = `#include <stdio.h>
int main(void) { printf("hello from kiln\\n"); return 0; }
`;
const MAKEFILE = `PREFIX ?= /usr
CFLAGS ?= -O2
hello: hello.c
\t$(CC) $(CFLAGS) -o $@ hello.c
install: hello
\tinstall -d $(DESTDIR)$(PREFIX)/bin
\tinstall -m 755 hello $(DESTDIR)$(PREFIX)/bin/hello
.PHONY: install
`;

test('a C program compiles in the sandbox with the Debian toolchain and installs into the destdir', async () => {
  const { ws, log } = await workspace('hello');
  await writeFile(join(ws, 'hello.c'), HELLO_C);
  await writeFile(join(ws, 'Makefile'), MAKEFILE);
  const out = join(scratch, 'hello', 'out');
  const lines: LogLine[] = [];
  const r = await runInSandbox({
    rootfs,
    workspace: ws,
    destdirs: { hello: out },
    script: 'make CC=gcc\nmake install DESTDIR=/home/build/melange-out/hello PREFIX=/usr\necho "built as $(id -un)"',
    sourceDateEpoch: 1700000000,
    env: { CFLAGS: '-O2 -g0' },
    log: { path: log, onLine: (l) => lines.push(l) },
  });
  process.stderr.write(`# hello compiled and installed in ${r.durationMs} ms\n`);
  assertSandboxSucceeded(r, 'hello build');
  assert.equal(r.exitCode, 0);
  const binary = join(out, 'usr/bin/hello');
  const st = await stat(binary);
  assert.equal(st.mode & 0o777, 0o755);
  assert.equal(execFileSync(binary, { encoding: 'utf8' }), 'hello from kiln\n');
  // umask 022 inside: the object written by the compiler is not group- or world-writable
  assert.equal((await stat(join(ws, 'hello'))).mode & 0o022, 0);
  const text = await readFile(log, 'utf8');
  assert.match(text, /^gcc -O2 -g0 -o hello hello\.c$/m);
  assert.match(text, /^install -m 755 hello \/home\/build\/melange-out\/hello\/usr\/bin\/hello$/m);
  assert.match(text, /^built as build$/m);
  assert.match(text, /^\[kiln-sandbox\] exit-code=0 signal=none timed-out=false/m);
  assert.ok(lines.some((l) => l.stream === 'stdout' && l.line === 'built as build'));
});

test('inside: no network, read-only root, no host files, no host environment', async () => {
  const server = createServer((socket) => socket.destroy());
  let connections = 0;
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  process.env['KILN_TEST_SECRET'] = 'hunter2';
  try {
    // the same connection from the host works, so a refusal inside is the sandbox's doing
    await new Promise<void>((resolve, reject) => connect(port, '127.0.0.1', resolve).on('error', reject).unref());
    const hostConnections = connections;
    const { ws, log } = await workspace('isolation');
    const r = await runInSandbox({
      rootfs,
      workspace: ws,
      script: [
        `if bash -c 'echo > /dev/tcp/127.0.0.1/${port}' 2>/dev/null; then echo NET=open; else echo NET=closed; fi`,
        'if getent hosts deb.debian.org >/dev/null; then echo DNS=resolved; else echo DNS=failed; fi',
        'if touch /usr/kiln-test 2>/dev/null; then echo USR=writable; else echo USR=read-only; fi',
        'if touch /etc/kiln-test 2>/dev/null; then echo ETC=writable; else echo ETC=read-only; fi',
        'if test -e /work/main || test -e /var/cache/kiln-test; then echo HOSTFS=visible; else echo HOSTFS=hidden; fi',
        'touch /tmp/scratch && touch "$HOME/written" && echo WORKSPACE=writable',
        'echo "UID=$(id -u) USER=$(id -un) UMASK=$(umask) HOST=$(hostname)"',
        'echo ENV-BEGIN; env | sort; echo ENV-END',
      ].join('\n'),
      sourceDateEpoch: 1700000000,
      env: { KILN_VISIBLE: 'yes' },
      log: { path: log },
    });
    assertSandboxSucceeded(r, 'isolation probe');
    const text = await readFile(log, 'utf8');
    assert.match(text, /^NET=closed$/m);
    assert.equal(connections, hostConnections, 'no connection reached the host server');
    assert.match(text, /^DNS=failed$/m);
    assert.match(text, /^USR=read-only$/m);
    assert.match(text, /^ETC=read-only$/m);
    assert.match(text, /^HOSTFS=hidden$/m);
    assert.match(text, /^WORKSPACE=writable$/m);
    assert.match(text, /^UID=1000 USER=build UMASK=0022 HOST=kiln-build$/m);
    assert.ok((await stat(join(ws, 'written'))).isFile());
    const env = text.split('ENV-BEGIN\n')[1]?.split('\nENV-END')[0]?.split('\n') ?? [];
    const names = env.map((l) => l.split('=')[0]);
    assert.deepEqual(
      names.filter((n) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(n ?? '')),
      ['HOME', 'KILN_VISIBLE', 'LANG', 'LC_ALL', 'PATH', 'SOURCE_DATE_EPOCH', 'TZ'],
    );
    assert.ok(env.includes('SOURCE_DATE_EPOCH=1700000000'));
    assert.ok(env.includes('TZ=UTC'));
    assert.doesNotMatch(text, /hunter2|KILN_TEST_SECRET/);
  } finally {
    delete process.env['KILN_TEST_SECRET'];
    server.close();
  }
});

test('the time limit kills the whole sandbox', async () => {
  const { ws, log } = await workspace('timeout');
  const marker = `kiln-sleep-${process.pid}-${Date.now()}`;
  const r = await runInSandbox({
    rootfs,
    workspace: ws,
    // a child of a child, so that killing only the top process would leave it running
    script: `echo started\nbash -c 'exec -a ${marker} sleep 1000' &\nwait`,
    sourceDateEpoch: 0,
    limits: { timeoutMs: 1500 },
    log: { path: log },
  });
  assert.equal(r.timedOut, true);
  assert.equal(r.exitCode, null);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(r.durationMs >= 1400 && r.durationMs < 10_000, `took ${r.durationMs} ms`);
  assert.deepEqual(await processesNamed(marker), [], 'no process of the sandbox survives');
  const text = await readFile(log, 'utf8');
  assert.match(text, /^started$/m);
  assert.match(text, /timed-out=true/);
  assert.throws(() => assertSandboxSucceeded(r, 'sleep'), (e) => isKilnError(e) && e.code === 'SANDBOX_FAILED' && /time limit/.test(e.message));
});

test('memory and CPU limits apply inside; a failing script is a result, and a SANDBOX_FAILED on request', async () => {
  const { ws, log } = await workspace('limits');
  const r = await runInSandbox({
    rootfs,
    workspace: ws,
    script: 'echo "AS=$(ulimit -v) CPU=$(ulimit -t) CORE=$(ulimit -c)"\necho "compiler says no" >&2\nexit 3',
    sourceDateEpoch: 0,
    limits: { memoryBytes: 512 * 1024 * 1024, cpuSeconds: 30 },
    log: { path: log },
  });
  assert.equal(r.exitCode, 3);
  assert.equal(r.timedOut, false);
  const text = await readFile(log, 'utf8');
  assert.match(text, /^AS=524288 CPU=30 CORE=0$/m);
  assert.throws(
    () => assertSandboxSucceeded(r, 'limits probe'),
    (e) => isKilnError(e) && e.code === 'SANDBOX_FAILED' && /status 3/.test(e.message) && /compiler says no/.test(e.message),
  );
});

test('secret-looking variables never reach the sandbox', async () => {
  const { ws, log } = await workspace('secrets');
  await assert.rejects(
    runInSandbox({ rootfs, workspace: ws, script: 'true', sourceDateEpoch: 0, env: { NPM_TOKEN: 'x' }, log: { path: log } }),
    (e) => isKilnError(e) && e.code === 'INPUT_INVALID' && /NPM_TOKEN/.test(e.message),
  );
  await assert.rejects(
    runInSandbox({ rootfs: '/', workspace: ws, script: 'true', sourceDateEpoch: 0, log: { path: log } }),
    (e) => isKilnError(e) && e.code === 'INPUT_INVALID',
  );
});

/** Host processes whose command line contains `name`. */
async function processesNamed(name: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(name)) found.push(pid);
  }
  return found;
}

test('aborting kills the sandbox; a log inside the workspace is refused', async () => {
  const { ws, log } = await workspace('abort');
  const controller = new AbortController();
  const running = runInSandbox({ rootfs, workspace: ws, script: 'sleep 1000', sourceDateEpoch: 0, log: { path: log }, signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  const r = await running;
  assert.deepEqual([r.aborted, r.timedOut, r.signal], [true, false, 'SIGKILL']);
  assert.ok(r.durationMs < 10_000);
  await assert.rejects(
    runInSandbox({ rootfs, workspace: ws, script: 'true', sourceDateEpoch: 0, log: { path: join(ws, 'logs', 'build.log') } }),
    (e) => isKilnError(e) && e.code === 'INPUT_INVALID' && /can write/.test(e.message),
  );
});
