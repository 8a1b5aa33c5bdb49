import { nextDailyRun, type Schedules } from '../schedules.ts';
import type { CycleControl } from './cycle-control.ts';
import { stableJobId } from './stable-job-id.ts';

export type DailyTriggerOptions = {
  readonly cycles: CycleControl;
  readonly schedules: Schedules;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
};

export type DailyTrigger = {
  /** Queue the daily cycle due at `at` (an ISO time from nextDailyRun); exposed for tests. */
  fire(at: string): Promise<string>;
  stop(): void;
};

/** The daily cycle's id: the same in every process, so however many send it, it runs once. */
export function dailyCycleId(at: string): string {
  return stableJobId(`daily-cycle/${at}`);
}

/**
 * Every `kiln serve` arms this timer; each sends the day's cycle under one stable id, and
 * the queue keeps the first (pg-boss inserts a job whose id exists as nothing). So the
 * daily cycle runs once a day however many servers run, and still runs while any one is up.
 */
export function startDailyTrigger(options: DailyTriggerOptions): DailyTrigger {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const fire = async (at: string): Promise<string> => options.cycles.trigger({ cycleId: dailyCycleId(at), now: at, trigger: { kind: 'schedule' } });
  const arm = (after?: string): void => {
    if (stopped) return;
    const now = options.clock();
    // strictly after the run just fired, even if the clock reads a hair before it
    const from = after !== undefined && Date.parse(after) >= now.getTime() ? new Date(Date.parse(after) + 1) : now;
    const at = nextDailyRun(options.schedules, from.toISOString());
    timer = setTimeout(
      () => {
        fire(at).then(
          (id) => options.log(JSON.stringify({ event: 'daily-cycle-queued', cycle: id, at })),
          (e: unknown) => options.log(JSON.stringify({ event: 'daily-cycle-failed', at, error: (e as Error).message })),
        );
        arm(at);
      },
      Math.max(0, Date.parse(at) - now.getTime()),
    );
    timer.unref();
  };
  arm();
  return {
    fire,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
