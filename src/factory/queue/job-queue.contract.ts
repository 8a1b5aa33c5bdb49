import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isKilnError } from '../../errors/index.ts';
import type { KilnDatabase } from '../../store/index.ts';
import { loadKilnConfig } from '../kiln-config.ts';
import { createTestFactory, type TestFactory } from '../run/test-factory.ts';
import { CYCLE_QUEUE, IMAGE_QUEUE } from './job-data.ts';
import { queuedCycleControl, type CycleControl } from './cycle-control.ts';
import { startFactoryWorker, type FactoryWorker } from './factory-worker.ts';
import { openJobQueue, type JobQueue } from './job-queue.ts';

export type QueueBackend = {
  /** A fresh, empty, migrated history database. */
  open(): Promise<KilnDatabase>;
  dispose(): Promise<void>;
};

/** The job queue's behaviour, the same on PGlite (kiln serve) and PostgreSQL (scale-out). */
export function jobQueueContract(name: string, backend: () => Promise<QueueBackend>): void {
  describe(`job queue contract: ${name}`, () => {
    let b: QueueBackend;
    let database: KilnDatabase;
    let factory: TestFactory;
    let queue: JobQueue;
    let cycles: CycleControl;
    let worker: FactoryWorker;
    const lines: string[] = [];

    before(async () => {
      b = await backend();
      database = await b.open();
      factory = await createTestFactory();
      queue = await openJobQueue({ database, pollingIntervalSeconds: 0.5, retryDelaySeconds: 0 });
      cycles = queuedCycleControl(queue);
      const config = await loadKilnConfig(factory.configFile);
      worker = await startFactoryWorker({ queue, config, database, clock: () => new Date('2026-03-01T02:00:00Z'), log: (l) => lines.push(l) });
    });
    after(async () => {
      await worker?.stop({ timeoutMs: 5000 });
      await queue?.stop({ graceful: false });
      await database?.close();
      await factory?.cleanup();
      await b?.dispose();
    });

    test('a cycle is queued, fanned out to one job per image, run and recorded', async () => {
      const id = await cycles.trigger({ now: '2026-03-01T02:00:00Z' });
      assert.ok((await cycles.status(id)) !== undefined);
      const state = await cycles.waitFor(id, { pollMs: 100 });
      assert.deepEqual(state, { status: 'done' });
      const images = await queue.boss.findJobs<{ image: string }>(IMAGE_QUEUE, { data: { cycleId: id } });
      assert.deepEqual(images.map((j) => [j.data.image, j.state]), [['app', 'completed']]);
      const results = await database.db.selectFrom('cycle_results').select(['image', 'status']).where('cycle_id', '=', id).execute();
      assert.deepEqual(results, [{ image: 'app', status: 'published' }]);
      assert.ok(lines.some((l) => l.includes('"event":"cycle-result"') && l.includes(id)));
    });

    test('a trigger under an id already used is the same cycle, not a second one', async () => {
      const id = '6f1c2d3e-4b5a-4978-8a1b-0c2d3e4f5a6b';
      assert.equal(await cycles.trigger({ cycleId: id, now: '2026-03-01T03:00:00Z' }), id);
      assert.equal(await cycles.trigger({ cycleId: id, now: '2026-03-01T04:00:00Z' }), id);
      await cycles.waitFor(id, { pollMs: 100 });
      const jobs = await queue.boss.findJobs<{ now?: string }>(CYCLE_QUEUE, { id });
      assert.deepEqual(jobs.map((j) => j.data.now), ['2026-03-01T03:00:00Z']);
    });

    test('unknown cycles: status undefined, waitFor NOT_FOUND; a name that is no UUID is unknown too', async () => {
      assert.equal(await cycles.status('0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e'), undefined);
      assert.equal(await cycles.status("x'; drop table job; --"), undefined);
      await assert.rejects(cycles.waitFor('0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e'), (e) => isKilnError(e) && e.code === 'NOT_FOUND');
    });

    test('an image that left the catalog fails its job without retries; a malformed payload fails with the reason', async () => {
      const id = await cycles.trigger({ images: ['app', 'gone'], now: '2026-03-01T05:00:00Z' });
      assert.equal((await cycles.waitFor(id, { pollMs: 100 })).status, 'done');
      assert.ok(lines.some((l) => l.includes('"image":"gone"') && l.includes('no such image')));

      const bad = await queue.boss.send(IMAGE_QUEUE, { cycleId: 'c', image: 'app' }, { retryLimit: 0, singletonKey: 'app' });
      assert.ok(bad !== null);
      for (let i = 0; i < 100; i++) {
        const [job] = await queue.boss.findJobs(IMAGE_QUEUE, { id: bad });
        if (job?.state === 'failed') {
          assert.match(JSON.stringify(job.output), /INPUT_INVALID|unexpected payload/);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail('the malformed job did not fail');
    });
  });
}
