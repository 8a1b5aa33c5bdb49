/** Where a package of an environment came from: Debian's archive (mmdebstrap) or one of kiln's APK repositories. */
export type PackageOrigin = 'debian' | 'kiln';

/** A package as installed in an environment, for the build's provenance. */
export type InstalledPackage = {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  readonly origin: PackageOrigin;
  /** For a kiln package: the repository directory it was read from (`@tag DIR` for a tagged one). */
  readonly repository?: string;
  /** For a kiln package: its APKINDEX `C:` checksum. */
  readonly checksum?: string;
};

/** A file of the base (Debian) environment that a kiln package's file replaced. */
export type OverwrittenPath = {
  /** Relative to the root, as resolved on disk (`usr/bin/busybox` for a package's `bin/busybox` under merged /usr). */
  readonly path: string;
  /** The kiln package whose file is there now. */
  readonly by: string;
  /** The Debian package dpkg lists as owning the path, when one does. */
  readonly was?: string;
};

/** The environment a layered one was built on, as its record names it. */
export type EnvironmentBase = {
  readonly hash: string;
  readonly provider: { readonly kind: 'debian' | 'apk'; readonly identity: Readonly<Record<string, string>> };
  readonly requested: readonly string[];
};

export type ProviderBuildRequest = {
  /** Already normalised by the same provider. */
  readonly packages: readonly string[];
  /** Where the root filesystem goes; it does not exist yet, its parent does. */
  readonly rootfs: string;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
};

export type ProviderBuildResult = {
  readonly installed: readonly InstalledPackage[];
  /** Files of the base that the provider's packages replaced (recorded, not an error). */
  readonly overwritten?: readonly OverwrittenPath[];
};

/**
 * Something that can make a root filesystem holding a list of packages: Debian's archive
 * through mmdebstrap, or kiln's own APK repositories (alone or on top of a Debian
 * environment). The cache (ensureEnvironment) is shared; a provider only builds and describes.
 */
export type EnvironmentProvider = {
  readonly kind: 'debian' | 'apk';
  /**
   * Everything besides the package list that decides what gets installed (suite, arch,
   * mirror, the provider's own recipe version). Part of the cache key, so it must be stable
   * and must not hold secrets.
   */
  readonly identity: Readonly<Record<string, string>>;
  /** The environment this one is built on (its hash is also in `identity`). */
  readonly base?: EnvironmentBase;
  /** Checks names (INPUT_INVALID on anything that is not one) and returns them sorted, without duplicates. */
  normalisePackages(packages: readonly string[]): readonly string[];
  build(request: ProviderBuildRequest): Promise<ProviderBuildResult>;
};
