import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../../registry/index.ts';
import { openDatabase, type KilnDatabase } from '../../store/index.ts';
import { createTestDatabase, testPostgresProblem, type TestDatabase } from '../../store/postgres-test-database.ts';
import { startPublicationHoldingProxy, type PublicationHoldingProxy } from '../../testing/index.ts';
import { createTestFactory, type TestFactory } from '../run/test-factory.ts';
import { CYCLE_QUEUE, IMAGE_QUEUE, openJobQueue, queuedCycleControl, startDailyTrigger, type JobQueue } from './index.ts';

// kiln serve + kiln worker against the real PostgreSQL on this machine, as separate processes.
const MAIN = join(import.meta.dirname, '..', '..', 'cli', 'main.ts');
const IMAGES = ['app', 'bolt', 'crate', 'dune'];
const skip = process.env['KILN_SKIP_POSTGRES'] === '1' ? 'KILN_SKIP_POSTGRES=1' : undefined;
const problem = skip === undefined ? await testPostgresProblem() : undefined;

let pgdb: TestDatabase;
let factory: TestFactory;
let registry: RunningRegistry;
let proxy: PublicationHoldingProxy;
let database: KilnDatabase;
let queue: JobQueue;

before(async () => {
  if (skip !== undefined) return;
  if (problem !== undefined) throw problem;
  pgdb = await createTestDatabase();
  registry = await startRegistry({ storageDir: join(await tmp(), 'registry'), host: '127.0.0.1', port: 0 });
  // the worker is killed while the proxy holds its manifest PUT: mid-publication
  proxy = await startPublicationHoldingProxy(`http://${registry.host}`);
  factory = await createTestFactory({ database: pgdb.url });
  // four images from one repository, so four image jobs per cycle
  const config = await readFile(join(factory.dir, 'catalog', 'app.yaml'), 'utf8');
  for (const name of IMAGES.slice(1)) await writeFile(join(factory.dir, 'catalog', `${name}.yaml`), config.replace('name: app', `name: ${name}`));
  await writeFile(factory.configFile, `state: state\ncatalog: catalog\ndatabase: ${pgdb.url}\npublish:\n  registry:\n    prefix: ${proxy.host}/scale\n`);
  database = await openDatabase({ url: pgdb.url });
  // the first to create the queues sets their retry delay: no waiting between attempts here
  queue = await openJobQueue({ database, pollingIntervalSeconds: 0.5, retryDelaySeconds: 1 });
});

after(async () => {
  if (skip !== undefined) return;
  await queue?.stop({ graceful: false });
  await database?.close();
  await proxy?.close();
  await registry?.close();
  await factory?.cleanup();
  await pgdb?.drop();
});

function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kiln-scale-out-'));
}

type Proc = { readonly child: ChildProcess; out: string; readonly exited: Promise<number | null> };

function kiln(args: readonly string[]): Proc {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = { child, out: '', exited: new Promise((r) => child.once('exit', r)) };
  child.stdout?.on('data', (d: Buffer) => (proc.out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (proc.out += d.toString()));
  return proc;
}

async function publicationsPerImage(): Promise<Map<string, number>> {
  const rows = await database.db.selectFrom('publications').select(['image']).execute();
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.image, (counts.get(r.image) ?? 0) + 1);
  return counts;
}

test('scale-out: two kiln workers share a cycle, each image job runs once, a killed worker’s job is retried by another', { skip, timeout: 240_000 }, async () => {
  const cycles = queuedCycleControl(queue);
  const t0 = Date.now();
  const mark = (what: string) => console.log(`# ${what} at ${Date.now() - t0} ms`);

  // 1. one worker alone takes the first image job and is killed in the middle of publishing it
  const held = proxy.holdManifests();
  const doomed = kiln(['worker', '--config', factory.configFile]);
  const first = await cycles.trigger({ images: ['app'], now: '2026-03-01T02:00:00Z' });
  await held;
  mark('manifest PUT held');
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  proxy.release();
  const [stranded] = await queue.boss.findJobs(IMAGE_QUEUE, { data: { cycleId: first } });
  assert.equal(stranded?.state, 'active', 'the killed worker’s job is still active');
  assert.equal((await publicationsPerImage()).size, 0, 'nothing recorded for the interrupted publication');

  // 2. two workers; the stranded job goes back to the queue when its heartbeat stops
  const workers = [kiln(['worker', '--config', factory.configFile]), kiln(['worker', '--config', factory.configFile, '--concurrency', '2'])];
  try {
    const done = await cycles.waitFor(first, { pollMs: 200 });
    mark('retried job done');
    assert.equal(done.status, 'done', done.error);
    const [retried] = await queue.boss.findJobs(IMAGE_QUEUE, { data: { cycleId: first } });
    assert.equal(retried?.state, 'completed');
    assert.equal(retried?.retryCount, 1, 'the same job, retried once');

    // 3. a cycle over all four images: planned in one pass (app is unchanged: skipped there
    // and then), one image job for each image with something to build, each published once
    const second = await cycles.trigger({ now: '2026-03-01T03:00:00Z' });
    const state = await cycles.waitFor(second, { pollMs: 200 });
    mark('four-image cycle done');
    assert.equal(state.status, 'done', state.error);
    const jobs = await queue.boss.findJobs<{ image: string }>(IMAGE_QUEUE, { data: { cycleId: second } });
    assert.deepEqual(jobs.map((j) => j.data.image).sort(), IMAGES.slice(1));
    assert.ok(jobs.every((j) => j.state === 'completed' && j.retryCount === 0));
    assert.deepEqual([...(await publicationsPerImage())].sort(), IMAGES.map((i) => [i, 1]));
    const results = await database.db.selectFrom('cycle_results').select(['image', 'status']).where('cycle_id', '=', second).execute();
    assert.deepEqual(results.map((r) => `${r.image} ${r.status}`).sort(), ['app skipped', 'bolt published', 'crate published', 'dune published']);
    const ran = workers.map((w) => (w.out.match(/"event":"cycle-result"/g) ?? []).length);
    assert.equal(ran[0]! + ran[1]!, 5, `every result once across the workers: ${JSON.stringify(ran)}`);
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    const codes = await Promise.all(workers.map((w) => w.exited));
    assert.deepEqual(codes, [0, 0], workers.map((w) => w.out).join('\n---\n'));
  }
  // the registry got every tag, through the one manifest PUT that was never answered too
  const tags = (await (await fetch(`http://${registry.host}/v2/scale/app/tags/list`)).json()) as { tags: string[] };
  assert.ok(tags.tags.includes('1.0') && tags.tags.includes('latest'), JSON.stringify(tags));
});

test('the daily cycle is queued once, however many processes send it', { skip }, async () => {
  const others = await Promise.all([0, 1].map(() => openDatabase({ url: pgdb.url })));
  const queues = [queue, ...(await Promise.all(others.map((d) => openJobQueue({ database: d }))))];
  try {
    const at = '2026-03-02T02:00:00.000Z';
    const clock = () => new Date(Date.parse(at) - 30);
    const triggers = queues.map((q) => startDailyTrigger({ cycles: queuedCycleControl(q), schedules: { dailyMinuteUtc: 120, upstreamEveryMinutes: 360, vulnerabilitiesEveryMinutes: 360 }, clock, log: () => undefined }));
    // each process's timer fires at 02:00; and each sends once more by hand, all at once
    const ids = await Promise.all(triggers.map((t) => t.fire(at)));
    assert.equal(new Set(ids).size, 1);
    await new Promise((r) => setTimeout(r, 300));
    for (const t of triggers) t.stop();
    const daily = await queue.boss.findJobs<{ now?: string }>(CYCLE_QUEUE, { data: { now: at } });
    assert.equal(daily.length, 1, JSON.stringify(daily.map((j) => j.id)));
    assert.equal(daily[0]?.id, ids[0]);
  } finally {
    for (const q of queues.slice(1)) await q.stop({ graceful: false });
    for (const d of others) await d.close();
  }
});

if (problem !== undefined && skip === undefined) {
  test('scale-out: PostgreSQL is reachable', () => {
    throw problem;
  });
}
