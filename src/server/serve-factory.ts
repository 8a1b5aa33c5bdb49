import { openFactoryNode, type CycleControl, type FactoryNodeOptions } from '../factory/queue/index.ts';
import { cycleResults, tagsOf, type KilnDatabase } from '../store/index.ts';

export type ServeFactoryOptions = FactoryNodeOptions;

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

/** The factory inside `kiln serve`: its node on the job queue, plus the first start's cycle. */
export async function createServeFactory(options: ServeFactoryOptions): Promise<ServeFactory> {
  const node = await openFactoryNode(options);
  return {
    cycles: node.cycles,
    attach: async (registryHost) => {
      await node.work(registryHost);
      // first start: nothing published yet, so build the catalog now rather than at the daily time
      const published = await options.database.db.selectFrom('publications').select('id').limit(1).execute();
      if (published.length > 0) return undefined;
      return node.cycles.trigger({ trigger: { kind: 'schedule' } });
    },
    stop: (o) => node.stop(o),
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
