import type { KilnConfig } from '../factory/index.ts';
import { runFactory, type CycleRunResult } from '../factory/run/index.ts';
import type { KilnDatabase } from '../store/index.ts';
import { createFactoryScheduler, type FactoryScheduler, type TriggeredCycle } from './factory-scheduler.ts';

export type ServeFactoryOptions = {
  readonly config: KilnConfig;
  /** kiln serve's own database: cycles run on it, never opening a second PGlite. */
  readonly database: KilnDatabase;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
};

export type ServeFactory = {
  /** For the API (`POST /api/v1/cycles`) before the server listens. */
  readonly scheduler: FactoryScheduler;
  /**
   * Once the server listens: cycles publish to its /v2/ (`registryHost`), the daily timer
   * starts, and on a first start (no image in the history) one cycle runs at once.
   */
  attach(registryHost: string): Promise<TriggeredCycle | undefined>;
};

/** The factory inside `kiln serve`: its scheduler, running cycles in-process on the server's database and registry. */
export function createServeFactory(options: ServeFactoryOptions): ServeFactory {
  let registryHost: string | undefined;
  const scheduler = createFactoryScheduler({
    schedules: options.config.schedules,
    clock: options.clock,
    log: options.log,
    run: async (request) => {
      const run = await runFactory({
        config: options.config,
        now: request.now,
        trigger: request.trigger,
        cycleId: request.cycleId,
        ...(request.images !== undefined && { only: request.images }),
        database: options.database,
        ...(registryHost !== undefined && { registryHost }),
        ...(options.env !== undefined && { env: options.env }),
        onResult: request.onResult,
        onKeyGenerated: (k) => options.log(JSON.stringify({ event: 'key-generated', key: k.path, publicKey: k.generated?.publicPath ?? null })),
      });
      return run.results;
    },
  });
  return {
    scheduler,
    attach: async (host) => {
      registryHost = host;
      scheduler.start();
      // first start: nothing published yet, so build the catalog now rather than at the daily time
      const published = await options.database.db.selectFrom('publications').select('id').limit(1).execute();
      if (published.length > 0) return undefined;
      return scheduler.trigger({ trigger: { kind: 'schedule' } });
    },
  };
}

/** What to type to get each published image: skopeo and docker, against kiln's own registry. */
export function pullCommands(results: readonly CycleRunResult[], registryHost: string): readonly string[] {
  const lines: string[] = [];
  for (const r of results) {
    const tag = r.tags?.[0];
    if (r.status !== 'published' || tag === undefined) continue;
    const name = r.image.split(':')[0] ?? r.image;
    lines.push(`skopeo copy --src-tls-verify=false docker://${registryHost}/${name}:${tag} oci:${name.replaceAll('/', '-')}:${tag}`);
    lines.push(`docker pull ${registryHost}/${name}:${tag}`);
  }
  return lines;
}
