import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SCHEDULES } from '../factory/index.ts';
import { createFactoryScheduler, type CycleRequest } from './factory-scheduler.ts';

test('one cycle at a time: triggers during a run join one follow-up; stop waits for the running cycle', async () => {
  const started: CycleRequest[] = [];
  let active = 0;
  const gates: (() => void)[] = [];
  const lines: string[] = [];
  const scheduler = createFactoryScheduler({
    schedules: DEFAULT_SCHEDULES,
    clock: () => new Date('2026-01-02T00:00:00Z'),
    log: (l) => lines.push(l),
    run: async (request) => {
      started.push(request);
      active++;
      assert.equal(active, 1, 'two cycles at once');
      await new Promise<void>((r) => gates.push(r));
      active--;
      request.onResult({ image: 'app:1.0', status: 'skipped', reason: 'no package changed' });
      return [{ image: 'app:1.0', status: 'skipped', reason: 'no package changed' }];
    },
  });
  const first = scheduler.trigger({ images: ['app'] });
  const second = scheduler.trigger({ images: ['b'] });
  const third = scheduler.trigger({ images: ['a'], now: '2026-01-03T00:00:00Z' });
  assert.notEqual(first.cycleId, second.cycleId);
  assert.equal(second.cycleId, third.cycleId);
  assert.equal(scheduler.status(second.cycleId)?.status, 'queued');
  await new Promise((r) => setImmediate(r));
  assert.equal(scheduler.status(first.cycleId)?.status, 'running');
  assert.equal(started[0]?.now, '2026-01-02T00:00:00.000Z');
  gates.shift()?.();
  assert.deepEqual('results' in (await first.done) && true, true);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started[1]?.images, ['a', 'b']);
  assert.equal(started[1]?.now, '2026-01-03T00:00:00Z');
  const stopping = scheduler.stop();
  gates.shift()?.();
  await stopping;
  assert.equal(scheduler.status(second.cycleId)?.status, 'done');
  assert.equal(started.length, 2);
  assert.equal(lines.filter((l) => JSON.parse(l).event === 'cycle-result').length, 2);
  assert.equal(scheduler.status(scheduler.trigger({}).cycleId)?.status, 'failed', 'no cycle after stop');
});
