import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { DAY1, DAY3, DAY5, seedHistory } from '../server/api/history-test-fixtures.ts';
import { openDatabase } from '../store/index.ts';
import { parseImageVersion, registerHistory } from './history.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
let state: string;

before(async () => {
  state = await mkdtemp(join(tmpdir(), 'kiln-history-'));
  // the commands' default state directory, as a user would set it
  process.env['KILN_STATE'] = state;
  const store = await openDatabase({ url: `pglite:${join(state, 'db')}` });
  try {
    await seedHistory(store.db);
  } finally {
    await store.close();
  }
});

after(async () => {
  await rm(state, { recursive: true, force: true });
});

type Outcome = { status: number; stdout: string; stderr: string };

/**
 * Runs a history command in this process (PGlite starts in ~0.25 s here, ~1 s in a new
 * process); one at a time, since one PGlite directory must never be open twice.
 */
async function kiln(...args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const program = new Command('kiln').exitOverride();
  registerHistory(program, (text) => (stdout += text));
  const realStderr = process.stderr.write.bind(process.stderr);
  process.exitCode = undefined;
  // error reports go to process.stderr (run-action's one reporting place); borrow it briefly
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stderr.write = realStderr;
  }
  const status = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { status, stdout, stderr };
}

test('kiln changelog: the version’s digests newest first, with what changed', async () => {
  const r = await kiln('changelog', 'python:3.14.1');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'python:3.14.1 — 2 publications, newest first');
  const newer = lines.findIndex((l) => l.includes(DAY3));
  const older = lines.findIndex((l) => l.includes(DAY1));
  assert.ok(newer > 0 && older > newer, r.stdout);
  assert.match(lines[newer] ?? '', /^3\.14\.1-20260303T0500Z {2}2026-03-03T05:00:00Z {2}prod {2}sha256:3b/);
  assert.equal(lines[newer + 1], '  package-updated: openssl 3.3.1-r0 → 3.3.2-r0');
  assert.equal(lines[newer + 2], '  upgraded openssl 3.3.1-r0 → 3.3.2-r0');
});

test('kiln diff: exactly the one upgraded package; --json has the API shape', async () => {
  const r = await kiln('diff', DAY1, DAY3);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'CHANGE    PACKAGE  FROM      TO\nupgraded  openssl  3.3.1-r0  3.3.2-r0\n1 change: 1 upgraded\n');
  const j = await kiln('diff', DAY1, DAY3, '--json', '--state', state);
  assert.deepEqual(JSON.parse(j.stdout), { from: DAY1, to: DAY3, changes: [{ kind: 'upgraded', name: 'openssl', from: '3.3.1-r0', to: '3.3.2-r0' }] });
});

test('kiln search: a fragment finds the digest', async () => {
  const r = await kiln('search', '3b3b3b', '--database', `pglite:${join(state, 'db')}`);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^DIGEST +IMAGE +VERSION +VARIANT +TIMESTAMP TAG\n/);
  assert.match(r.stdout, new RegExp(`^${DAY3} +python +3\\.14\\.1 +prod +3\\.14\\.1-20260303T0500Z$`, 'm'));
  assert.equal(r.stdout.trim().split('\n').length, 2);
});

test('kiln tags: the current tags', async () => {
  const r = await kiln('tags', 'python');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^kiln/python:latest +3\\.14\\.2 +prod +2026-03-05T05:00:00Z +${DAY5}$`, 'm'));
  assert.match(r.stdout, new RegExp(`^kiln/python:3\\.14\\.1 +3\\.14\\.1 +prod +2026-03-03T05:00:00Z +${DAY3}$`, 'm'));
  assert.equal(r.stdout.trim().split('\n').length, 8); // header + 7 tags
});

test('bad input exits 2, not found exits 1', async () => {
  const cases: [string[], number, RegExp][] = [
    [['diff', DAY1, 'sha256:abc'], 2, /error\[DIGEST_INVALID\]/],
    [['search', '3b'], 2, /error\[INPUT_INVALID\] digest fragment/],
    [['changelog', 'python'], 2, /error\[USAGE\] expected IMAGE:VERSION/],
    [['changelog', 'python:9.9'], 1, /error\[NOT_FOUND\] python:9\.9: never published/],
    [['tags', 'ruby'], 1, /error\[NOT_FOUND\] image ruby/],
    [['search', 'ffff'], 1, /error\[NOT_FOUND\] no published digest starts with ffff/],
    [['tags', 'python', '--state', join(state, 'nowhere')], 1, /error\[NOT_FOUND\] history database .*does not exist/],
  ];
  for (const [args, status, message] of cases) {
    const r = await kiln(...args);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test('IMAGE:VERSION splits at the last colon', () => {
  assert.deepEqual(parseImageVersion('team/python:3.14.1'), { image: 'team/python', version: '3.14.1' });
  assert.throws(() => parseImageVersion(':1'), /IMAGE:VERSION/);
  assert.throws(() => parseImageVersion('python:'), /IMAGE:VERSION/);
});

test('the real kiln binary has the commands: diff through main.ts, and exit 2 on a bad fragment', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, KILN_STATE: state } });
  const ok = run('diff', DAY1, DAY3);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^upgraded {2}openssl {2}3\.3\.1-r0 {2}3\.3\.2-r0$/m);
  const bad = run('search', 'xyz');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /error\[INPUT_INVALID\]/);
});
