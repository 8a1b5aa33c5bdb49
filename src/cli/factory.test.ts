import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { createTestFactory, type TestFactory } from '../factory/run/test-factory.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
const exec = promisify(execFile);
let factory: TestFactory;
before(async () => {
  factory = await createTestFactory();
});
after(() => factory.cleanup());

async function kiln(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env['KILN_IMAGE_KEY'];
  try {
    const { stdout, stderr } = await exec(process.execPath, [MAIN, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('kiln factory run publishes, then skips what did not change; --json and text', async () => {
  const first = await kiln('factory', 'run', '--once', '--config', factory.configFile, '--now', '2026-03-01T02:00:00Z', '--json');
  assert.equal(first.code, 0, first.stderr);
  const json = JSON.parse(first.stdout) as { now: string; trigger: { kind: string }; results: { image: string; status: string; tags: string[]; digest: string }[] };
  assert.equal(json.now, '2026-03-01T02:00:00.000Z');
  assert.equal(json.trigger.kind, 'manual');
  assert.deepEqual(json.results.map((r) => [r.image, r.status, r.tags]), [['app:1.0', 'published', ['1.0', '1.0-202603010200', 'latest', '1']]]);
  assert.match(first.stderr, /generated the image signing key/);

  const second = await kiln('factory', 'run', '--config', factory.configFile, '--image', 'app', '--now', '2026-03-02T02:00:00Z');
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout, 'skipped app:1.0: no package changed\n');

  // an urgent fix for a package the image does not contain is no reason to build it
  const unconcerned = await kiln('factory', 'run', '--config', factory.configFile, '--urgent', 'CVE-2026-0003', '--package', 'openssl', '--now', '2026-03-02T03:00:00Z');
  assert.equal(unconcerned.code, 0, unconcerned.stderr);
  assert.match(unconcerned.stdout, /^skipped app:1\.0: .*openssl/);
});

test('kiln factory run: a bad --now or an unknown --image is a usage error (exit 2)', async () => {
  const badNow = await kiln('factory', 'run', '--config', factory.configFile, '--now', 'yesterday');
  assert.equal(badNow.code, 2);
  assert.match(badNow.stderr, /error\[USAGE\] --now: expected an ISO-8601 time/);
  const unknown = await kiln('factory', 'run', '--config', factory.configFile, '--image', 'nope', '--now', '2026-03-02T02:00:00Z');
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--image nope: no such image/);
  for (const [args, message] of [
    [['--urgent', 'CVE 1', '--package', 'a'], /--urgent: expected an advisory id/],
    [['--urgent', 'CVE-2026-0001'], /--urgent needs the fixed packages/],
    [['--package', 'a'], /give --urgent ADVISORY too/],
  ] as const) {
    const bad = await kiln('factory', 'run', '--config', factory.configFile, ...args);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, message);
  }
});
