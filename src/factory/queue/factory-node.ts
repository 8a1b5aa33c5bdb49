import type { KilnDatabase } from '../../store/index.ts';
import type { KilnConfig } from '../kiln-config.ts';
import { queuedCycleControl, type CycleControl } from './cycle-control.ts';
import { startDailyTrigger, type DailyTrigger } from './daily-trigger.ts';
import { startFactoryWorker, type FactoryWorker } from './factory-worker.ts';
import { openJobQueue } from './job-queue.ts';
import { reclaimInterruptedJobs } from './reclaim-interrupted-jobs.ts';

export type FactoryNodeOptions = {
  readonly config: KilnConfig;
  readonly database: KilnDatabase;
  readonly clock: () => Date;
  /** One JSON line per event. */
  readonly log: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Image jobs this process runs at once (default 1). */
  readonly concurrency?: number;
  /** Seconds between the queue's polls (default 2). */
  readonly pollingIntervalSeconds?: number;
};

/** One process's part of the factory: `kiln serve`'s, or a `kiln worker`'s. */
export type FactoryNode = {
  /** Asking for and about cycles; usable at once (the API needs it before the server listens). */
  readonly cycles: CycleControl;
  /**
   * Starts taking jobs: jobs a killed run of this process left behind are reclaimed
   * (embedded database only), a factory worker starts (publishing to `registryHost`,
   * the `HOST:PORT` serving `<state>/registry`, for the embedded target), and the daily
   * trigger is armed.
   */
  work(registryHost?: string): Promise<void>;
  /** Stops taking jobs; a running one gets `timeoutMs` to finish, else goes back to the queue. */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
};

/** Opens the job queue on `database` for one kiln serve or kiln worker process. */
export async function openFactoryNode(options: FactoryNodeOptions): Promise<FactoryNode> {
  const queue = await openJobQueue({
    database: options.database,
    ...(options.pollingIntervalSeconds !== undefined && { pollingIntervalSeconds: options.pollingIntervalSeconds }),
    onError: (e) => options.log(JSON.stringify({ event: 'queue-error', error: e.message })),
  });
  const cycles = queuedCycleControl(queue);
  let worker: FactoryWorker | undefined;
  let daily: DailyTrigger | undefined;
  return {
    cycles,
    work: async (registryHost) => {
      for (const job of await reclaimInterruptedJobs(queue, options.database)) {
        options.log(JSON.stringify({ event: 'job-reclaimed', queue: job.queue, job: job.id, reason: 'interrupted by the previous stop' }));
      }
      worker = await startFactoryWorker({
        queue,
        config: options.config,
        database: options.database,
        ...(registryHost !== undefined && { registryHost }),
        clock: options.clock,
        log: options.log,
        ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
        ...(options.env !== undefined && { env: options.env }),
      });
      daily = startDailyTrigger({ cycles, schedules: options.config.schedules, clock: options.clock, log: options.log });
    },
    stop: async (o = {}) => {
      daily?.stop();
      await worker?.stop(o);
      await queue.stop({ graceful: true, timeoutMs: o.timeoutMs ?? 30_000 });
    },
  };
}
