import { PgBoss, fromPglite } from 'pg-boss';
import { KilnError } from '../../errors/index.ts';
import type { KilnDatabase } from '../../store/index.ts';
import { CYCLE_QUEUE, IMAGE_QUEUE } from './job-data.ts';

/** pg-boss keeps its tables in a schema of its own, beside kiln's history. */
export const JOB_QUEUE_SCHEMA = 'kiln_jobs';

/**
 * How long a worker may go silent before its job is given to another: a killed worker
 * stops its heartbeat, and pg-boss's monitor puts the job back (pg-boss's minimum is 10 s).
 */
export const JOB_HEARTBEAT_SECONDS = 10;

export type JobQueueOptions = {
  readonly database: KilnDatabase;
  /** Seconds between polls for new jobs (default 2; tests use less). */
  readonly pollingIntervalSeconds?: number;
  /**
   * Seconds before a failed (or abandoned) job is tried again, doubling each time (default
   * 5). Queue settings are fixed by the first process that creates the queues.
   */
  readonly retryDelaySeconds?: number;
  /** Told about pg-boss's own errors and warnings (a lost connection, a slow query). */
  readonly onError?: (error: Error) => void;
};

export type JobQueue = {
  readonly boss: PgBoss;
  readonly pollingIntervalSeconds: number;
  /**
   * Stops fetching; with `graceful`, running handlers get `timeoutMs` to finish. A job
   * still running then stays active without a heartbeat and is retried by another worker.
   */
  stop(options?: { readonly graceful?: boolean; readonly timeoutMs?: number }): Promise<void>;
};

/**
 * The factory's job queue: pg-boss on the history database, so `kiln serve` on PGlite and
 * a fleet of `kiln serve`/`kiln worker` processes on PostgreSQL run the same code. On
 * PGlite it shares the one instance (PGlite is one connection; a second instance on the
 * directory is refused); on PostgreSQL it opens its own pool to the same URL.
 */
export async function openJobQueue(options: JobQueueOptions): Promise<JobQueue> {
  const { database } = options;
  const common = {
    schema: JOB_QUEUE_SCHEMA,
    // kiln's daily cycle is kiln's own timer with a stable job id (daily-trigger.ts), not a pg-boss cron
    schedule: false,
    // the supervisor is what notices a stopped heartbeat: every 5 s, not pg-boss's 60
    superviseIntervalSeconds: 5,
    monitorIntervalSeconds: 5,
    // workers wake on NOTIFY when a job is sent, instead of at their next poll
    useListenNotify: true,
  } as const;
  let boss: PgBoss;
  switch (database.location.kind) {
    case 'postgres':
      boss = new PgBoss({ ...common, connectionString: database.location.url, max: 4, application_name: 'kiln-jobs' });
      break;
    case 'pglite':
    case 'memory':
      if (database.pglite === undefined) throw new KilnError('QUEUE_FAILED', 'the embedded database has no PGlite instance to run the job queue on');
      boss = new PgBoss({ ...common, db: fromPglite(database.pglite), backend: 'pglite' });
      break;
    default: {
      const never: never = database.location;
      return never;
    }
  }
  boss.on('error', (e: Error) => options.onError?.(e));
  try {
    await boss.start();
    for (const name of [CYCLE_QUEUE, IMAGE_QUEUE]) {
      // createQueue is a no-op for a queue that exists, so every process may call it
      await boss.createQueue(name, {
        // one active job per singletonKey: an image is built by one worker at a time
        policy: name === IMAGE_QUEUE ? 'singleton' : 'standard',
        heartbeatSeconds: JOB_HEARTBEAT_SECONDS,
        expireInSeconds: 6 * 3600,
        retryLimit: 3,
        retryDelay: options.retryDelaySeconds ?? 5,
        notify: true,
        retryBackoff: true,
        deleteAfterSeconds: 14 * 24 * 3600,
      });
    }
  } catch (cause) {
    await boss.stop({ graceful: false, close: true }).catch(() => undefined);
    throw new KilnError('QUEUE_FAILED', `cannot start the job queue on ${database.location.kind === 'postgres' ? 'PostgreSQL' : 'the embedded database'}: ${(cause as Error).message}`, { cause });
  }
  return {
    boss,
    pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
    stop: async (o = {}) => {
      await boss.stop({ graceful: o.graceful ?? true, timeout: o.timeoutMs ?? 30_000, close: true });
    },
  };
}
