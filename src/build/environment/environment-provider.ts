/** A package as installed in an environment, for the build's provenance. */
export type InstalledPackage = {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
};

export type ProviderBuildRequest = {
  /** Already normalised by the same provider. */
  readonly packages: readonly string[];
  /** Where the root filesystem goes; it does not exist yet, its parent does. */
  readonly rootfs: string;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
};

/**
 * Something that can make a root filesystem holding a list of packages: Debian's archive
 * through mmdebstrap today, kiln's own APK repositories later. The cache (ensureEnvironment)
 * is shared; a provider only builds and describes.
 */
export type EnvironmentProvider = {
  readonly kind: 'debian' | 'apk';
  /**
   * Everything besides the package list that decides what gets installed (suite, arch,
   * mirror, the provider's own recipe version). Part of the cache key, so it must be stable
   * and must not hold secrets.
   */
  readonly identity: Readonly<Record<string, string>>;
  /** Checks names (INPUT_INVALID on anything that is not one) and returns them sorted, without duplicates. */
  normalisePackages(packages: readonly string[]): readonly string[];
  build(request: ProviderBuildRequest): Promise<readonly InstalledPackage[]>;
};
