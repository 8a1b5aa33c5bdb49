import { randomUUID } from 'node:crypto';
import { isKilnError } from '../errors/index.ts';
import { nextDailyRun, type Schedules, type Trigger } from '../factory/index.ts';
import type { CycleRunResult } from '../factory/run/index.ts';

/** One cycle to run: what `runFactory` needs beyond the configuration. */
export type CycleRequest = {
  readonly cycleId: string;
  /** Only these catalog images; undefined for all. */
  readonly images: readonly string[] | undefined;
  readonly now: string;
  readonly trigger: Trigger;
  readonly onResult: (result: CycleRunResult) => void;
};

export type CycleStatus = 'queued' | 'running' | 'done' | 'failed';

/** How a cycle ended: its results, or the error that stopped it before or between items. */
export type CycleOutcome = { readonly results: readonly CycleRunResult[] } | { readonly error: unknown };

export type TriggerRequest = {
  readonly images?: readonly string[];
  /** The cycle's clock; default the scheduler's clock when the cycle starts. */
  readonly now?: string;
  readonly trigger?: Trigger;
};

export type TriggeredCycle = { readonly cycleId: string; readonly done: Promise<CycleOutcome> };

/** What the API needs: start a cycle, ask about one. */
export type CycleControl = {
  trigger(request: TriggerRequest): TriggeredCycle;
  status(cycleId: string): { readonly status: CycleStatus; readonly error?: string } | undefined;
};

export type FactoryScheduler = CycleControl & {
  /** Arms the daily timer (at `schedules.dailyMinuteUtc` UTC, via nextDailyRun). */
  start(): void;
  /** Disarms the timer, drops a queued cycle, and waits for a running one to finish. */
  stop(): Promise<void>;
};

export type FactorySchedulerOptions = {
  readonly schedules: Schedules;
  readonly run: (request: CycleRequest) => Promise<readonly CycleRunResult[]>;
  /** Injected so tests (and `--now`) decide what time it is. */
  readonly clock: () => Date;
  /** One structured line per cycle result and per cycle end. */
  readonly log: (line: string) => void;
};

type Pending = { cycleId: string; images: readonly string[] | undefined; now: string | undefined; trigger: Trigger; resolve: (o: CycleOutcome) => void; done: Promise<CycleOutcome> };

/**
 * `kiln serve`'s scheduler: the daily cycle plus cycles on request, one at a time. The
 * database and registry are shared, and two cycles would plan against the same history
 * at once, so a trigger during a run queues one follow-up (later triggers join it).
 */
export function createFactoryScheduler(options: FactorySchedulerOptions): FactoryScheduler {
  const statuses = new Map<string, { status: CycleStatus; error?: string }>();
  let running: Promise<void> | undefined;
  let queued: Pending | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const newPending = (request: TriggerRequest): Pending => {
    let resolve!: (o: CycleOutcome) => void;
    const done = new Promise<CycleOutcome>((r) => (resolve = r));
    return { cycleId: randomUUID(), images: request.images, now: request.now, trigger: request.trigger ?? { kind: 'manual', by: 'api' }, resolve, done };
  };

  const runOne = async (p: Pending): Promise<void> => {
    statuses.set(p.cycleId, { status: 'running' });
    const now = p.now ?? options.clock().toISOString();
    options.log(JSON.stringify({ event: 'cycle-start', cycle: p.cycleId, now, trigger: p.trigger.kind, images: p.images ?? 'all' }));
    try {
      const results = await options.run({
        cycleId: p.cycleId,
        images: p.images,
        now,
        trigger: p.trigger,
        onResult: (r) => options.log(JSON.stringify({ event: 'cycle-result', cycle: p.cycleId, image: r.image, status: r.status, reason: r.reason, ...(r.digest !== undefined && { digest: r.digest }) })),
      });
      statuses.set(p.cycleId, { status: 'done' });
      const count = (s: string) => results.filter((r) => r.status === s).length;
      options.log(JSON.stringify({ event: 'cycle-end', cycle: p.cycleId, published: count('published'), skipped: count('skipped'), failed: count('failed') }));
      p.resolve({ results });
    } catch (error) {
      const message = isKilnError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
      statuses.set(p.cycleId, { status: 'failed', error: message });
      options.log(JSON.stringify({ event: 'cycle-failed', cycle: p.cycleId, error: message }));
      p.resolve({ error });
    }
  };

  const drain = (first: Pending): void => {
    running = (async () => {
      let next: Pending | undefined = first;
      while (next !== undefined) {
        await runOne(next);
        next = stopped ? undefined : queued;
        queued = undefined;
      }
      running = undefined;
    })();
  };

  const trigger = (request: TriggerRequest): TriggeredCycle => {
    if (stopped) {
      const p = newPending(request);
      statuses.set(p.cycleId, { status: 'failed', error: 'kiln serve is stopping' });
      p.resolve({ error: new Error('kiln serve is stopping') });
      return { cycleId: p.cycleId, done: p.done };
    }
    if (running === undefined) {
      const p = newPending(request);
      statuses.set(p.cycleId, { status: 'queued' });
      drain(p);
      return { cycleId: p.cycleId, done: p.done };
    }
    if (queued === undefined) {
      queued = newPending(request);
      statuses.set(queued.cycleId, { status: 'queued' });
    } else {
      // joining the follow-up: all images if either asked for all
      const images = queued.images === undefined || request.images === undefined ? undefined : [...new Set([...queued.images, ...request.images])].sort();
      queued.images = images;
      if (request.now !== undefined) queued.now = request.now;
    }
    return { cycleId: queued.cycleId, done: queued.done };
  };

  const arm = (): void => {
    if (stopped) return;
    const now = options.clock();
    const at = nextDailyRun(options.schedules, now.toISOString());
    timer = setTimeout(() => {
      trigger({ trigger: { kind: 'schedule' }, now: at });
      arm();
    }, Math.max(0, Date.parse(at) - now.getTime()));
  };

  return {
    trigger,
    status: (cycleId) => statuses.get(cycleId),
    start: arm,
    stop: async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      const dropped = queued;
      queued = undefined;
      if (dropped !== undefined) {
        statuses.set(dropped.cycleId, { status: 'failed', error: 'kiln serve stopped before the cycle started' });
        dropped.resolve({ error: new Error('kiln serve stopped before the cycle started') });
      }
      await running;
    },
  };
}
