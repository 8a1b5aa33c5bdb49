import { resolve } from 'node:path';
import { publicPemOf, type ApkSigningKey } from '../../apk/index.ts';
import type { BuildEnvironment as RecipeEnvironment } from '../../recipes/index.ts';
import {
  ensureBuildEnvironment,
  kilnRepositoriesFor,
  readKilnRepositories,
  type EnsuredBuildEnvironment,
  type EnvironmentProvider,
} from '../environment/index.ts';
import { debianPackagesFor, requestName } from './environment-packages.ts';

export type PackageEnvironmentContext = {
  readonly provider: EnvironmentProvider;
  readonly cacheDir: string;
  /** APK architecture of the build. */
  readonly arch: string;
  /** The recipe as given (for messages) and its directory (relative repositories and keys). */
  readonly recipePath: string;
  readonly recipeDir: string;
  /** The repository this build publishes into, and its key: a kiln repository for the environment too. */
  readonly repo: string;
  readonly key: ApkSigningKey;
  readonly log: (line: string) => void;
  readonly progress: (message: string) => void;
  readonly signal?: AbortSignal;
};

/**
 * The environment of a build or a test: its packages from kiln's repositories where they
 * have them (the recipe's `environment.contents.repositories` / `build_repositories`
 * with its `keyring`, after the build's own `--repo` and key), the rest from Debian with
 * melange names mapped (debianPackagesFor). `exclude` drops the packages this build makes,
 * which a test installs from its new APKs rather than from an older copy in the repository.
 */
export async function packageEnvironment(
  ctx: PackageEnvironmentContext,
  environment: Pick<RecipeEnvironment, 'contents'>,
  what: string,
  exclude: ReadonlySet<string> = new Set(),
): Promise<EnsuredBuildEnvironment> {
  const c = environment.contents;
  const where = `${ctx.recipePath} ${what}`;
  const kiln = await kilnRepositoriesFor({
    repositories: [...c.repositories, ...c.buildRepositories],
    keyring: c.keyring,
    baseDir: ctx.recipeDir,
    where,
    extra: [{ dir: resolve(ctx.repo), optional: true }],
    extraKeys: new Map([[ctx.key.keyName, publicPemOf(ctx.key.privatePem)]]),
  });
  for (const w of kiln.warnings) ctx.log(w);
  const repositories = await readKilnRepositories(kiln, ctx.arch);
  const requests = c.packages.filter((p) => !exclude.has(requestName(p)));
  ctx.progress(`${what}: ${requests.join(' ') || '(no packages)'}`);
  const env = await ensureBuildEnvironment({
    cacheDir: ctx.cacheDir,
    requests,
    repositories,
    keys: kiln.keys,
    arch: ctx.arch,
    provider: ctx.provider,
    packagesFor: (rest) => debianPackagesFor(rest),
    where: `${where}.packages`,
    log: ctx.log,
    ...(ctx.signal && { signal: ctx.signal }),
  });
  const kilnNames = env.installed.filter((p) => p.origin === 'kiln').map((p) => `${p.name}-${p.version}`);
  const debian = env.record.base?.requested ?? (env.record.provider.kind === 'debian' ? env.record.requested : []);
  const parts = [
    ...(kilnNames.length > 0 ? [`kiln ${kilnNames.join(' ')}`] : []),
    ...(env.record.provider.kind === 'debian' || env.record.base ? [`debian ${debian.join(' ') || '(essential only)'}`] : []),
  ];
  ctx.progress(`${what} ${env.hash.slice(0, 12)} (${env.cached ? 'cached' : 'built'}): ${parts.join('; ')}`);
  ctx.log(`${what}: environment ${env.hash} (${env.cached ? 'cached' : 'built'}): ${env.installed.length} packages; ${parts.join('; ')}`);
  return env;
}
