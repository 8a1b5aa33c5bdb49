import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKilnError } from '../../errors/index.ts';
import { bwrapArgs } from './bwrap-args.ts';
import { LineSplitter } from './line-splitter.ts';
import { assertNoSecrets, buildSandboxEnv } from './sandbox-env.ts';
import { assertSandboxSucceeded } from './sandbox-failure.ts';

const invalid = (e: unknown): boolean => isKilnError(e) && e.code === 'INPUT_INVALID';

test('the sandbox environment is a fixed base plus the caller’s variables, sorted', () => {
  const env = buildSandboxEnv({ sourceDateEpoch: 1700000000, env: { CFLAGS: '-O2', PATH: '/usr/bin:/bin' } });
  assert.deepEqual(Object.keys(env), ['CFLAGS', 'HOME', 'LANG', 'LC_ALL', 'PATH', 'SOURCE_DATE_EPOCH', 'TZ']);
  assert.equal(env['HOME'], '/home/build');
  assert.equal(env['SOURCE_DATE_EPOCH'], '1700000000');
  assert.equal(env['TZ'], 'UTC');
  assert.equal(env['LC_ALL'], 'C.UTF-8');
  assert.equal(env['PATH'], '/usr/bin:/bin');
});

test('secret-looking names are refused unless allowed; fixed names cannot be overridden', () => {
  for (const name of ['GITHUB_TOKEN', 'DB_PASSWORD', 'KILN_TEST_SECRET', 'SIGNING_KEY', 'aws_secret_access_key']) {
    assert.throws(() => assertNoSecrets({ [name]: 'x' }), invalid, name);
  }
  assert.doesNotThrow(() => assertNoSecrets({ KEYBOARD_LAYOUT: 'us' }, ['KEYBOARD_LAYOUT']));
  assert.throws(() => buildSandboxEnv({ sourceDateEpoch: 0, env: { HOME: '/root' } }), invalid);
  assert.throws(() => buildSandboxEnv({ sourceDateEpoch: 0, env: { 'A=B': 'x' } }), invalid);
  assert.throws(() => buildSandboxEnv({ sourceDateEpoch: -1 }), invalid);
  assert.throws(() => buildSandboxEnv({ sourceDateEpoch: 0, env: { API_KEY: 'x' } }), (e) => invalid(e) && /API_KEY/.test(String(e)));
});

test('bwrap arguments: network and namespaces off, rootfs read-only, only workspace and destdirs writable', () => {
  const args = bwrapArgs({
    rootfs: '/envs/x/rootfs',
    workspace: '/work/ws',
    destdirs: [['hello', '/work/out/hello']],
    mounts: [{ host: '/pipelines', sandbox: '/home/build/.pipelines', writable: false }],
    tmpfs: ['/tmp'],
    env: { HOME: '/home/build', PATH: '/usr/bin:/bin' },
    workdir: '/home/build',
    shell: '/bin/sh',
    script: 'make install DESTDIR="$HOME/melange-out/hello"',
  });
  const joined = args.join(' ');
  for (const flag of ['--unshare-net', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-user', '--die-with-parent', '--new-session', '--clearenv']) {
    assert.ok(args.includes(flag), flag);
  }
  assert.match(joined, /--ro-bind \/envs\/x\/rootfs \/ /);
  assert.match(joined, /--bind \/work\/ws \/home\/build /);
  assert.match(joined, /--bind \/work\/out\/hello \/home\/build\/melange-out\/hello /);
  assert.match(joined, /--ro-bind \/pipelines \/home\/build\/\.pipelines /);
  assert.equal(args.filter((a) => a === '--bind').length, 2, 'nothing else is writable');
  // the script stays one argument, after the umask wrapper
  assert.deepEqual(args.slice(-8), ['/bin/sh', '-c', 'umask 022 && exec "$@"', 'kiln-sandbox', '/bin/sh', '-e', '-c', 'make install DESTDIR="$HOME/melange-out/hello"']);
  assert.throws(() => bwrapArgs({ ...baseless(), destdirs: [['../etc', '/x']] }), invalid);
  assert.throws(() => bwrapArgs({ ...baseless(), mounts: [{ host: '/x', sandbox: '/proc/x', writable: true }] }), invalid);
  assert.throws(() => bwrapArgs({ ...baseless(), mounts: [{ host: '/x', sandbox: '/a/../b', writable: false }] }), invalid);
});

function baseless(): Parameters<typeof bwrapArgs>[0] {
  return { rootfs: '/r', workspace: '/w', destdirs: [], mounts: [], tmpfs: [], env: {}, workdir: '/home/build', shell: '/bin/sh', script: 'true' };
}

test('lines are split across chunks, multi-byte characters survive, the last line is flushed', () => {
  const s = new LineSplitter();
  const bytes = Buffer.from('héllo\r\nwor');
  assert.deepEqual(s.push(bytes.subarray(0, 2)), []);
  assert.deepEqual(s.push(bytes.subarray(2)), ['héllo']);
  assert.deepEqual(s.push(Buffer.from('ld\n\nend')), ['world', '']);
  assert.deepEqual(s.end(), ['end']);
  const long = new LineSplitter().push(Buffer.alloc(200_000, 'a'));
  assert.equal(long.length, 3);
});

test('assertSandboxSucceeded: exit 0 passes; anything else is SANDBOX_FAILED with the log tail', () => {
  const base = { exitCode: 0, signal: null, durationMs: 1234, timedOut: false, aborted: false, logPath: '/logs/build.log', logTail: ['ok'] };
  assert.doesNotThrow(() => assertSandboxSucceeded(base, 'make'));
  assert.throws(
    () => assertSandboxSucceeded({ ...base, exitCode: 2, logTail: ['cc -c hello.c', "hello.c:1: error: expected ';'"] }, 'pipeline step make'),
    (e) => isKilnError(e) && e.code === 'SANDBOX_FAILED' && /status 2/.test(e.message) && /expected ';'/.test(e.message) && /build\.log/.test(e.message),
  );
  assert.throws(
    () => assertSandboxSucceeded({ ...base, exitCode: null, signal: 'SIGKILL', timedOut: true }, 'step'),
    (e) => isKilnError(e) && /time limit/.test(e.message),
  );
});
