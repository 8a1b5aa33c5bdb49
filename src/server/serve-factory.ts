import type { KilnConfig } from '../factory/index.ts';
import { openJobQueue, queuedCycleControl, reclaimInterruptedJobs, startDailyTrigger, startFactoryWorker, type CycleControl, type DailyTrigger, type FactoryWorker, type JobQueue } from '../factory/queue/index.ts';
import { cycleResults, tagsOf, type KilnDatabase } from '../store/index.ts';

export type ServeFactoryOptions = {
  readonly config: KilnConfig;
  /** kiln serve's own database: the job queue and the cycles run on it, never opening a second PGlite. */
  readonly database: KilnDatabase;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Image jobs this process runs at once (default 1). */
  readonly concurrency?: number;
  /** Seconds between the queue's polls (default 2). */
  readonly pollingIntervalSeconds?: number;
};

export type ServeFactory = {
  /** For the API (`/api/v1/cycles`), before the server listens. */
  readonly cycles: CycleControl;
  /**
   * Once the server listens: this process starts working on the queue (publishing to its
   * /v2/, `registryHost`), the daily trigger is armed, and on a first start (no image in
   * the history) a cycle is queued at once; its id is returned.
   */
  attach(registryHost: string): Promise<string | undefined>;
  /** Stops taking jobs; a running one gets `timeoutMs` to finish, else goes back to the queue. */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
};

/** The factory inside `kiln serve`: a worker on the job queue, the daily trigger, and cycles on request. */
export async function createServeFactory(options: ServeFactoryOptions): Promise<ServeFactory> {
  const queue: JobQueue = await openJobQueue({
    database: options.database,
    ...(options.pollingIntervalSeconds !== undefined && { pollingIntervalSeconds: options.pollingIntervalSeconds }),
    onError: (e) => options.log(JSON.stringify({ event: 'queue-error', error: e.message })),
  });
  const cycles = queuedCycleControl(queue);
  let worker: FactoryWorker | undefined;
  let daily: DailyTrigger | undefined;
  return {
    cycles,
    attach: async (registryHost) => {
      for (const job of await reclaimInterruptedJobs(queue, options.database)) {
        options.log(JSON.stringify({ event: 'job-reclaimed', queue: job.queue, job: job.id, reason: 'interrupted by the previous stop' }));
      }
      worker = await startFactoryWorker({
        queue,
        config: options.config,
        database: options.database,
        registryHost,
        clock: options.clock,
        log: options.log,
        ...(options.concurrency !== undefined && { concurrency: options.concurrency }),
        ...(options.env !== undefined && { env: options.env }),
      });
      daily = startDailyTrigger({ cycles, schedules: options.config.schedules, clock: options.clock, log: options.log });
      // first start: nothing published yet, so build the catalog now rather than at the daily time
      const published = await options.database.db.selectFrom('publications').select('id').limit(1).execute();
      if (published.length > 0) return undefined;
      return cycles.trigger({ trigger: { kind: 'schedule' } });
    },
    stop: async (o = {}) => {
      daily?.stop();
      await worker?.stop(o);
      await queue.stop({ graceful: true, timeoutMs: o.timeoutMs ?? 30_000 });
    },
  };
}

/**
 * What to type to get each image a cycle published: skopeo and docker, against kiln's own
 * registry, by the version tag the publication got (read back from the history, since any
 * worker may have run it).
 */
export async function pullCommands(database: KilnDatabase, cycleId: string, registryHost: string): Promise<readonly string[]> {
  const lines: string[] = [];
  const tagsByImage = new Map<string, Awaited<ReturnType<typeof tagsOf>>>();
  for (const r of await cycleResults(database.db, cycleId)) {
    if (r.status !== 'published' || r.digest === null) continue;
    const name = r.image.split(':')[0] ?? r.image;
    let tags = tagsByImage.get(name);
    if (tags === undefined) tagsByImage.set(name, (tags = await tagsOf(database.db, name)));
    const mine = tags.filter((t) => t.digest === r.digest).map((t) => t.tag);
    const versionTag = r.variant === 'prod' ? r.version : `${r.version}-${r.variant}`;
    const tag = mine.includes(versionTag) ? versionTag : mine[0];
    if (tag === undefined) continue;
    lines.push(`skopeo copy --src-tls-verify=false docker://${registryHost}/${name}:${tag} oci:${name.replaceAll('/', '-')}:${tag}`);
    lines.push(`docker pull ${registryHost}/${name}:${tag}`);
  }
  return lines;
}
