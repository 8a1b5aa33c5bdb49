/** What the package stage made of one item of `packages:`: a recipe or a Debian import. */
export type PackageStageResult = {
  readonly kind: 'recipe' | 'import-deb';
  /** The recipe's main package (`hello`), or the import as written (`libc6`). */
  readonly name: string;
  /**
   * `built`: built from source (or imported) into the repository now; `present`: the
   * repository already had it at this version, nothing was done; `failed`: see `reason`
   * (images that need it then fail in the cycle, as unresolvable).
   */
  readonly status: 'built' | 'present' | 'failed';
  readonly reason: string;
  /** `2.10-r0` for a recipe; the APK version of an import. */
  readonly version?: string;
  /** The recipe file, for messages. */
  readonly file?: string;
  /** Every package written to the repository for this item (`hello-2.10-r0`, …). */
  readonly packages?: readonly string[];
};

/** The repository the stage fills, as the cycle's images see it. */
export type PackageRepository = {
  /** Absolute: `packages.repository`, else `<state>/repo`. */
  readonly dir: string;
  readonly arch: string;
  /** The public key file that verifies its APKINDEX, named as apk names keys (`kiln-1a2b3c4d.rsa.pub`). */
  readonly keyFile: string;
};

export type PackageStageRun = {
  readonly repository: PackageRepository;
  /** Recipes in file-name order, then the imports in `import-deb` order. */
  readonly results: readonly PackageStageResult[];
};
