export { ensureEnvironment, type BuildEnvironment, type EnsureEnvironmentOptions } from './ensure-environment.ts';
export type {
  EnvironmentBase,
  EnvironmentProvider,
  InstalledPackage,
  OverwrittenPath,
  PackageOrigin,
  ProviderBuildRequest,
  ProviderBuildResult,
} from './environment-provider.ts';
export { ensureBuildEnvironment, type BuildEnvironmentRequest, type EnsuredBuildEnvironment } from './ensure-build-environment.ts';
export { kilnRepositoriesFor, readKilnRepositories, type KilnRepositories, type KilnRepositoriesInput, type KilnRepository } from './kiln-repositories.ts';
export { splitEnvironmentRequests, prepareKilnPackages, type KilnPackageSet, type RequestSplit } from './kiln-packages.ts';
export { kilnProvider } from './kiln-provider.ts';
export { environmentKey } from './environment-key.ts';
export { type EnvironmentRecord, readEnvironmentRecord } from './environment-record.ts';
export { debianProvider, normaliseDebianPackages } from './debian-provider.ts';
export { resolveDebianArchive, type DebianArchive, type ResolveDebianArchiveOptions } from './debian-archive.ts';
export { readAptSources, type AptSource } from './apt-sources.ts';
export { withLock, type LockOptions } from './dir-lock.ts';
export { runApt, privateAptOptions, aptOption, aptChildEnv, type AptRun } from './run-apt.ts';
