import { repositoryLabel, type ApkKeyring, type SolverRepository } from '../../apk/index.ts';
import { ensureEnvironment, type BuildEnvironment } from './ensure-environment.ts';
import type { EnvironmentProvider } from './environment-provider.ts';
import { pinnedPackages, kilnProvider } from './kiln-provider.ts';
import { prepareKilnPackages, splitEnvironmentRequests, type RequestSplit } from './kiln-packages.ts';

export type BuildEnvironmentRequest = {
  /** e.g. `<state>/environments` */
  readonly cacheDir: string;
  /** APK-style requests as recipes and pipelines write them (`build-base`, `busybox`, `foo@local`). */
  readonly requests: readonly string[];
  /** kiln's repositories for this architecture, indexes already verified (readKilnRepositories). */
  readonly repositories: readonly SolverRepository[];
  /** The keys packages must be signed by. */
  readonly keys: ApkKeyring;
  /** APK architecture of the packages (`x86_64`). */
  readonly arch: string;
  /** Builds the part kiln's repositories do not hold (Debian's archive through mmdebstrap). */
  readonly provider: EnvironmentProvider;
  /** That provider's package names for the remaining requests (melange names mapped to Debian's). */
  readonly packagesFor: (requests: readonly string[]) => readonly string[];
  /** Names the requests in messages, e.g. `hello.yaml environment.contents.packages`. */
  readonly where: string;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
};

export type EnsuredBuildEnvironment = BuildEnvironment & { readonly split: RequestSplit };

/**
 * The environment for a build: every request that kiln's repositories can answer comes
 * from there, with its dependencies (chosen by the solver, every package verified, before
 * anything is built); the rest from the provider (Debian), built and cached as on its own.
 * With no kiln packages the result is the provider's environment itself; with no other
 * requests the provider is not run at all; otherwise kiln's packages go on top of a
 * hard-linked copy of the Debian one, cached under a key of its hash and the packages'
 * checksums.
 */
export async function ensureBuildEnvironment(req: BuildEnvironmentRequest): Promise<EnsuredBuildEnvironment> {
  const split = splitEnvironmentRequests(req.requests, req.repositories);
  const common = { cacheDir: req.cacheDir, ...(req.log && { log: req.log }), ...(req.signal && { signal: req.signal }) };
  const wantsKiln = split.kiln.some((r) => !r.trim().startsWith('!'));
  if (!wantsKiln) {
    const env = await ensureEnvironment({ ...common, provider: req.provider, packages: req.packagesFor(split.other) });
    return { ...env, split };
  }
  const set = await prepareKilnPackages(split.kiln, req.repositories, req.keys, req.where);
  const rest = split.other.filter((r) => !r.trim().startsWith('!'));
  const base = rest.length > 0 ? await ensureEnvironment({ ...common, provider: req.provider, packages: req.packagesFor(split.other) }) : undefined;
  const env = await ensureEnvironment({ ...common, provider: kilnProvider(set, base, req.arch), packages: pinnedPackages(set) });
  // the cached record may have been made from another copy of the same packages: name this build's
  const from = new Map(set.resolved.map((p) => [p.entry.name, repositoryLabel(p.repository)]));
  const installed = env.installed.map((p) => {
    const repository = p.origin === 'kiln' ? from.get(p.name) : undefined;
    return repository !== undefined ? { ...p, repository } : p;
  });
  return { ...env, installed, split };
}
