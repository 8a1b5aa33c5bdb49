import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isKilnError } from '../errors/index.ts';
import { createTestFactory, type TestFactory } from '../factory/run/test-factory.ts';
import { queueCycleOnServer } from './queue-cycle-on-server.ts';
import { defaultDatabaseUrl, openDatabase } from '../store/index.ts';

const MAIN = join(import.meta.dirname, 'main.ts');
let factory: TestFactory;
before(async () => {
  factory = await createTestFactory();
});
after(() => factory.cleanup());

async function poll<T>(what: string, get: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const got = await get();
    if (got !== undefined) return got;
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function runKiln(args: readonly string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, err })));
}

test('kiln serve --config: builds the catalog on a first start, runs cycles on POST, owns the database, stops cleanly', async () => {
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', factory.configFile, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const url = await poll('the listening line', async () => /listening on (http:\/\/\S+)/.exec(out)?.[1]);
    const host = url.slice('http://'.length);

    // the startup cycle publishes app, and says how to pull it
    const images = await poll('app in /api/v1/images', async () => {
      const body = (await (await fetch(`${url}/api/v1/images`)).json()) as { images?: readonly { name: string }[] } | readonly { name: string }[];
      const list = Array.isArray(body) ? body : ((body as { images?: readonly { name: string }[] }).images ?? []);
      return list.some((i) => i.name === 'app') ? list : undefined;
    });
    assert.ok(images.length >= 1);
    await poll('the pull commands', async () => (out.includes(`docker pull ${host}/app:`) ? true : undefined));
    assert.match(out, new RegExp(`skopeo copy --src-tls-verify=false docker://${host.replace(/[.]/g, '\\.')}/app:\\S+ oci:app:`));
    assert.match(out, /"event":"cycle-result".*"status":"published"/);

    // serve holds the database: another process and another open here are told so
    const tags = await runKiln(['tags', 'app', '--config', factory.configFile]);
    assert.equal(tags.code, 1, tags.err);
    assert.match(tags.err, /error\[DATABASE_BUSY\] .*db is in use by kiln serve \(pid \d+\); use the API/);
    await assert.rejects(openDatabase({ url: defaultDatabaseUrl(factory.stateDir) }), (e) => isKilnError(e) && e.code === 'DATABASE_BUSY');

    // nothing changed since: a triggered cycle skips, and its results are in the API
    const posted = await fetch(`${url}/api/v1/cycles`, { method: 'POST', body: JSON.stringify({ images: ['app'] }), headers: { 'content-type': 'application/json' } });
    assert.equal(posted.status, 202);
    const { id } = (await posted.json()) as { id: string };
    const cycle = await poll('the triggered cycle’s results', async () => {
      const body = (await (await fetch(`${url}/api/v1/cycles/${id}`)).json()) as { status: string; results: readonly { status: string; reason: string }[] };
      return body.status === 'done' ? body : undefined;
    });
    assert.ok(cycle.results.length >= 1);
    assert.ok(cycle.results.every((r) => r.status === 'skipped' && r.reason === 'no package changed'), JSON.stringify(cycle.results));
    assert.equal((await fetch(`${url}/api/v1/cycles/no-such-cycle`)).status, 404);
    assert.equal((await fetch(`${url}/api/v1/cycles`, { method: 'POST', body: '{"now":"yesterday"}' })).status, 400);

    // a package published with an urgent fix (what `kiln package build --urgent` sends): the
    // image versions containing it are rebuilt at once, with the advisory in the reason
    await factory.add([{ name: 'libfoo', version: '1.0-r1' }]);
    const urgent = await queueCycleOnServer(url, { kind: 'urgent-fix', advisory: 'CVE-2026-0001', packages: ['libfoo'] });
    const fixed = await poll('the urgent cycle', async () => {
      const body = (await (await fetch(`${url}/api/v1/cycles/${urgent}`)).json()) as { status: string; results: readonly { status: string; reason: string }[] };
      return body.status === 'done' ? body : undefined;
    });
    assert.deepEqual(
      fixed.results.map((r) => r.status),
      fixed.results.map(() => 'published'),
      JSON.stringify(fixed.results),
    );
    assert.ok(fixed.results.length >= 1 && fixed.results.every((r) => r.reason.startsWith('CVE-2026-0001: ')), JSON.stringify(fixed.results));
    // bad triggers are refused, and queue nothing
    for (const body of [
      { trigger: { kind: 'urgent-fix', advisory: 'CVE 1; rm -rf /', packages: ['libfoo'] } },
      { trigger: { kind: 'urgent-fix', advisory: 'CVE-2026-0002', packages: [] } },
      { trigger: { kind: 'nightly' } },
      { trigger: { kind: 'schedule', extra: 1 } },
    ]) {
      const res = await fetch(`${url}/api/v1/cycles`, { method: 'POST', body: JSON.stringify(body) });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /POST \/api\/v1\/cycles: expected/);
    }
    const huge = await fetch(`${url}/api/v1/cycles`, { method: 'POST', body: JSON.stringify({ images: Array.from({ length: 20_000 }, (_, i) => `image-${i}`) }) });
    assert.equal(huge.status, 400);
    await assert.rejects(queueCycleOnServer(url.replace(/:\d+$/, ':1'), { kind: 'schedule' }), (e) => isKilnError(e) && e.code === 'NETWORK');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, `${out}\n${err}`);
  assert.match(out, /SIGTERM, shutting down/);
  await assert.rejects(stat(join(factory.stateDir, 'db.lock')), { code: 'ENOENT' });
});
