import type { Job } from 'pg-boss';
import { isInputError, isKilnError } from '../../errors/index.ts';
import type { KilnDatabase } from '../../store/index.ts';
import type { KilnConfig } from '../kiln-config.ts';
import { loadCatalog } from '../load-catalog.ts';
import { runPackageStage } from '../packages/index.ts';
import { runFactory, type CycleRunResult } from '../run/index.ts';
import { CYCLE_QUEUE, CycleJobData, IMAGE_QUEUE, ImageJobData, parseJobData } from './job-data.ts';
import { jobPriority } from './cycle-control.ts';
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
 * A factory worker: takes cycle jobs (load the catalog, bring the package repository up
 * to date — kiln.yaml `packages:` — then queue one image job per image)
 * and image jobs (plan, build and publish one image's lines and variants, recording each
 * result). Image jobs are the unit of work and of retry: one image at a time per image
 * (the queue's singleton policy), so two workers never tag one image at once, and a
 * retried job re-plans against the history, skipping what its first attempt published.
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
  const catalog = await loadCatalog(options.config.catalogDir);
  const names = catalog.images.map((i) => i.name).filter((n) => data.images === undefined || data.images.includes(n));
  for (const name of data.images ?? []) {
    if (!names.includes(name)) options.log(JSON.stringify({ event: 'cycle-result', cycle: data.cycleId, image: name, status: 'failed', reason: `no such image in ${options.config.catalogDir}` }));
  }
  if (data.images === undefined) {
    for (const e of catalog.errors) options.log(JSON.stringify({ event: 'cycle-result', cycle: data.cycleId, image: e.file, status: 'failed', reason: `${e.error.code}: ${e.error.message}` }));
  }
  const { packages } = options.config;
  if (packages !== undefined) {
    // once per cycle, here: the image jobs then only read the repository it filled
    await runPackageStage({
      config: { ...options.config, packages },
      ...(options.env !== undefined && { env: options.env }),
      log: (message) => options.log(JSON.stringify({ event: 'package-progress', cycle: data.cycleId, message })),
      onResult: (r) => options.log(JSON.stringify({ event: 'package-result', cycle: data.cycleId, ...r })),
    });
  }
  // stable ids: a retried cycle job re-sends the same image jobs, which pg-boss ignores
  for (const image of names) {
    await options.queue.boss.send(IMAGE_QUEUE, { cycleId: data.cycleId, image, now, trigger: data.trigger } satisfies ImageJobData, {
      id: stableJobId(`${data.cycleId}/${image}`),
      singletonKey: image,
      priority: jobPriority(data.trigger),
    });
  }
  options.log(JSON.stringify({ event: 'cycle-start', cycle: data.cycleId, now, trigger: data.trigger.kind, images: names }));
}

async function runImageJob(options: FactoryWorkerOptions, job: Job<unknown>): Promise<void> {
  const data = parseJobData(ImageJobData, IMAGE_QUEUE, job.id, job.data);
  const onResult = (r: CycleRunResult) =>
    options.log(JSON.stringify({ event: 'cycle-result', cycle: data.cycleId, image: r.image, status: r.status, reason: r.reason, ...(r.digest !== undefined && { digest: r.digest }), ...(r.tags !== undefined && { tags: r.tags }) }));
  try {
    await runFactory({
      config: options.config,
      now: data.now,
      trigger: data.trigger,
      cycleId: data.cycleId,
      only: [data.image],
      database: options.database,
      packageStage: 'reuse',
      ...(options.registryHost !== undefined && { registryHost: options.registryHost }),
      ...(options.env !== undefined && { env: options.env }),
      onResult,
      onKeyGenerated: (k) => options.log(JSON.stringify({ event: 'key-generated', key: k.path, publicKey: k.generated?.publicPath ?? null })),
    });
  } catch (error) {
    const message = isKilnError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    options.log(JSON.stringify({ event: 'job-failed', queue: IMAGE_QUEUE, job: job.id, cycle: data.cycleId, image: data.image, error: message }));
    // bad input (the image left the catalog, a broken config) will not get better by retrying
    if (isKilnError(error) && isInputError(error.code)) return;
    throw error;
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
