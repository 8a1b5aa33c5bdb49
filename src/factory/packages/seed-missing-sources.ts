import { seedFromDebianArchive, type SourceCache } from '../../build/index.ts';
import type { Digest } from '../../oci/index.ts';
import type { RecipeTarget } from './recipe-targets.ts';

/**
 * `sources.debian-archive`: before the missing recipes build, each archive they pin that
 * the source cache lacks is looked for in the Debian source package of the recipe's name
 * (Debian keeps pristine upstream tarballs, and their upstream signatures, as `.orig`
 * files). Whatever is not found there is left to the fetch step's own order (mirrors,
 * then the recipe's URI), so this never makes a build fail; it only logs.
 */
export async function seedMissingSources(options: {
  readonly targets: readonly RecipeTarget[];
  readonly cache: SourceCache;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
}): Promise<void> {
  const requests: { package: string; expectedSha256: Digest[] }[] = [];
  for (const t of options.targets) {
    const wanted: Digest[] = [];
    for (const f of t.fetches) for (const d of f.sha256) if (!(await options.cache.has(d))) wanted.push(d);
    if (wanted.length > 0) requests.push({ package: t.name, expectedSha256: wanted });
  }
  if (requests.length === 0) return;
  options.log(`sources: ${requests.map((r) => r.package).join(', ')}: not in the source cache; looking in the Debian archive`);
  const results = await seedFromDebianArchive({ cache: options.cache, dir: options.dir, requests, env: options.env, log: options.log });
  for (const r of results) options.log(`sources: ${r.package}: ${r.status}: ${r.reason}`);
}
