export { ensureEnvironment, type BuildEnvironment, type EnsureEnvironmentOptions } from './ensure-environment.ts';
export type { EnvironmentProvider, InstalledPackage, ProviderBuildRequest } from './environment-provider.ts';
export { environmentKey } from './environment-key.ts';
export { type EnvironmentRecord, readEnvironmentRecord } from './environment-record.ts';
export { debianProvider, normaliseDebianPackages } from './debian-provider.ts';
export { resolveDebianArchive, type DebianArchive, type ResolveDebianArchiveOptions } from './debian-archive.ts';
export { readAptSources, type AptSource } from './apt-sources.ts';
export { withLock, type LockOptions } from './dir-lock.ts';
