import type { Job } from 'pg-boss';
import { describeError, isInputError, isKilnError } from '../../errors/index.ts';
import type { KilnDatabase } from '../../store/index.ts';
import type { KilnConfig } from '../kiln-config.ts';
import { runFactory, type CycleRunResult } from '../run/index.ts';
import { jobPriority } from './cycle-control.ts';
import { CYCLE_QUEUE, CycleJobData, IMAGE_QUEUE, ImageJobData, parseJobData } from './job-data.ts';
import type { JobQueue } from './job-queue.ts';
import { stableJobId } from './stable-job-id.ts';

export type FactoryWorkerOptions = {
  readonly queue: JobQueue;
  readonly config: KilnConfig;
  readonly database: KilnDatabase;
  /** `HOST:PORT` of the registry serving `<state>/registry` (kiln serve's /v2/), for the embedded publish target. */
  readonly registryHost?: string;
  readonly clock: () => Date;
  /** One JSON line per event: cycle planned, image result, job failure. */
  readonly log: (line: string) => void;
  /** Image jobs this process runs at once (default 1). */
  readonly concurrency?: number;
  readonly env?: NodeJS.ProcessEnv;
};

export type FactoryWorker = {
  /** Stops taking jobs; running ones get `timeoutMs` to finish, then go back to the queue. */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
};

/**
 * A factory worker. A cycle job does what is cheap for the whole catalog at once: the
 * package stage (kiln.yaml `packages:`), then one plan over every image — skips and
 * failures recorded there and then — and one image job per image that has something to
 * build. Image jobs are the unit of building and of retry: one image at a time per image
 * (the queue's singleton policy), so two workers never tag one image at once, and a
 * retried job plans its image again, skipping what an earlier attempt published.
 */
export async function startFactoryWorker(options: FactoryWorkerOptions): Promise<FactoryWorker> {
  const { queue, log } = options;
  const polling = { pollingIntervalSeconds: queue.pollingIntervalSeconds };
  const cycleWorker = await queue.boss.work(CYCLE_QUEUE, { ...polling, batchSize: 1 }, async ([job]: Job<unknown>[]) => {
    if (job !== undefined) await runCycleJob(options, job);
  });
  const imageWorker = await queue.boss.work(IMAGE_QUEUE, { ...polling, batchSize: 1, localConcurrency: options.concurrency ?? 1 }, async ([job]: Job<unknown>[]) => {
    if (job !== undefined) await runImageJob(options, job);
  });
  log(JSON.stringify({ event: 'worker-start', queues: [CYCLE_QUEUE, IMAGE_QUEUE], concurrency: options.concurrency ?? 1 }));
  return {
    stop: async (o = {}) => {
      const wait = o.timeoutMs ?? 30_000;
      await withTimeout(Promise.all([queue.boss.offWork(CYCLE_QUEUE, { id: cycleWorker, wait: true }), queue.boss.offWork(IMAGE_QUEUE, { id: imageWorker, wait: true })]), wait);
    },
  };
}

async function runCycleJob(options: FactoryWorkerOptions, job: Job<unknown>): Promise<void> {
  const data = parseJobData(CycleJobData, CYCLE_QUEUE, job.id, job.data);
  const now = data.now ?? options.clock().toISOString();
  const builds = new Map<string, { line: string; variant: string }[]>();
  options.log(JSON.stringify({ event: 'cycle-start', cycle: data.cycleId, now, trigger: data.trigger.kind, images: data.images ?? 'all' }));
  const run = await runFactory({
    ...common(options, data.cycleId),
    now,
    trigger: data.trigger,
    ...(data.images !== undefined && { only: data.images }),
    unknownImages: 'result',
    onPackageLog: (message) => options.log(JSON.stringify({ event: 'package-progress', cycle: data.cycleId, message })),
    onPackageResult: (r) => options.log(JSON.stringify({ event: 'package-result', cycle: data.cycleId, ...r })),
    deferBuilds: (item) => builds.set(item.image, [...(builds.get(item.image) ?? []), { line: item.line, variant: item.variant }]),
  });
  // stable ids: a retried cycle job re-sends the same image jobs, which pg-boss ignores
  for (const [image, items] of builds) {
    const file = run.entryFiles.get(image);
    await options.queue.boss.send(IMAGE_QUEUE, { cycleId: data.cycleId, image, now, trigger: data.trigger, items, ...(file !== undefined && { file }) } satisfies ImageJobData, {
      id: stableJobId(`${data.cycleId}/${image}`),
      singletonKey: image,
      priority: jobPriority(data.trigger),
    });
  }
  options.log(JSON.stringify({ event: 'cycle-planned', cycle: data.cycleId, recorded: run.results.length, imageJobs: [...builds.keys()] }));
}

async function runImageJob(options: FactoryWorkerOptions, job: Job<unknown>): Promise<void> {
  const data = parseJobData(ImageJobData, IMAGE_QUEUE, job.id, job.data);
  try {
    await runFactory({
      ...common(options, data.cycleId),
      now: data.now,
      trigger: data.trigger,
      only: [data.image],
      ...(data.file !== undefined && { catalogFiles: [data.file] }),
      ...(data.items !== undefined && { onlyItems: data.items }),
      // the cycle job ran the package stage; this job only reads its repository
      packageStage: 'reuse',
    });
  } catch (error) {
    options.log(JSON.stringify({ event: 'job-failed', queue: IMAGE_QUEUE, job: job.id, cycle: data.cycleId, image: data.image, error: describeError(error) }));
    // bad input (the image left the catalog, a broken config) will not get better by retrying
    if (isKilnError(error) && isInputError(error.code)) return;
    throw error;
  }
}

/** What both kinds of job hand runFactory: the worker's configuration, database and registry, and its log. */
function common(options: FactoryWorkerOptions, cycleId: string) {
  const onResult = (r: CycleRunResult) =>
    options.log(JSON.stringify({ event: 'cycle-result', cycle: cycleId, image: r.image, status: r.status, reason: r.reason, ...(r.digest !== undefined && { digest: r.digest }), ...(r.tags !== undefined && { tags: r.tags }) }));
  return {
    config: options.config,
    cycleId,
    database: options.database,
    ...(options.registryHost !== undefined && { registryHost: options.registryHost }),
    ...(options.env !== undefined && { env: options.env }),
    onResult,
    onKeyGenerated: (k: { readonly path: string; readonly generated?: { readonly publicPath: string } }) =>
      options.log(JSON.stringify({ event: 'key-generated', key: k.path, publicKey: k.generated?.publicPath ?? null })),
  } as const;
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
