import { randomUUID } from 'node:crypto';
import { KilnError } from '../../errors/index.ts';
import type { Trigger } from '../trigger.ts';
import { CYCLE_QUEUE, IMAGE_QUEUE, type CycleJobData } from './job-data.ts';
import type { JobQueue } from './job-queue.ts';

export type CycleStatus = 'queued' | 'running' | 'done' | 'failed';

export type CycleState = {
  readonly status: CycleStatus;
  /** Why the cycle (or one of its image jobs) failed after its retries. */
  readonly error?: string;
};

export type CycleRequest = {
  /** Only these catalog images; all when absent. */
  readonly images?: readonly string[];
  /** The cycle's clock; default the time a worker starts it. */
  readonly now?: string;
  readonly trigger?: Trigger;
  /** A stable id (a UUID) makes the request idempotent: a second send with it is no new cycle. */
  readonly cycleId?: string;
};

/** What the API (`/api/v1/cycles`) and `kiln serve` need: ask for a cycle, ask about one. */
export type CycleControl = {
  /** Queues a cycle; any process with a factory worker runs it. Resolves to its id. */
  trigger(request: CycleRequest): Promise<string>;
  /** undefined: no such cycle in the queue (its jobs may have been deleted after two weeks). */
  status(cycleId: string): Promise<CycleState | undefined>;
  /** Resolves once the cycle and all its image jobs have ended. */
  waitFor(cycleId: string, options?: { readonly pollMs?: number; readonly signal?: AbortSignal }): Promise<CycleState>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** Cycles as jobs on the shared queue: the cycle's id is its job's id. */
export function queuedCycleControl(queue: JobQueue): CycleControl {
  const status = async (cycleId: string): Promise<CycleState | undefined> => {
    if (!UUID.test(cycleId)) return undefined;
    const [cycle] = await queue.boss.findJobs(CYCLE_QUEUE, { id: cycleId });
    if (cycle === undefined) return undefined;
    switch (cycle.state) {
      case 'created':
      case 'retry':
        return { status: 'queued' };
      case 'active':
        return { status: 'running' };
      case 'failed':
      case 'cancelled':
        return { status: 'failed', error: describeOutput(cycle.output) ?? `the cycle job was ${cycle.state}` };
      case 'completed':
        break;
    }
    const images = await queue.boss.findJobs<{ image?: string }>(IMAGE_QUEUE, { data: { cycleId } });
    if (images.some((j) => !ENDED.has(j.state))) return { status: 'running' };
    const failed = images.filter((j) => j.state !== 'completed');
    if (failed.length === 0) return { status: 'done' };
    return { status: 'failed', error: failed.map((j) => `${j.data.image ?? j.id}: ${describeOutput(j.output) ?? j.state}`).join('; ') };
  };
  return {
    trigger: async (request) => {
      const cycleId = request.cycleId ?? randomUUID();
      const data: CycleJobData = {
        cycleId,
        ...(request.images !== undefined && { images: [...request.images] }),
        ...(request.now !== undefined && { now: request.now }),
        trigger: request.trigger ?? { kind: 'manual', by: 'api' },
      };
      try {
        await queue.boss.send(CYCLE_QUEUE, data, { id: cycleId, priority: jobPriority(data.trigger) });
      } catch (cause) {
        throw new KilnError('QUEUE_FAILED', `cannot queue the cycle: ${(cause as Error).message}`, { cause });
      }
      return cycleId;
    },
    status,
    waitFor: async (cycleId, options = {}) => {
      for (;;) {
        const state = await status(cycleId);
        if (state === undefined) throw new KilnError('NOT_FOUND', `no such cycle in the job queue: ${cycleId}`);
        if (state.status === 'done' || state.status === 'failed') return state;
        await new Promise((r) => setTimeout(r, options.pollMs ?? queue.pollingIntervalSeconds * 500));
        options.signal?.throwIfAborted();
      }
    },
  };
}

/** An urgent fix goes ahead of queued daily and manual work. */
export function jobPriority(trigger: Trigger): number {
  return trigger.kind === 'urgent-fix' ? 10 : 0;
}

/** pg-boss stores a thrown error as the job's output ({ message, stack, … }). */
function describeOutput(output: unknown): string | undefined {
  if (output === null || typeof output !== 'object') return undefined;
  const message = (output as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}
