/**
 * A package recipe as kiln holds it after parsing melange-compatible YAML
 * (chainguard-dev/melange pkg/config). Field names follow melange's YAML keys in
 * camelCase (`target-architecture` → `targetArchitecture`). Absent scalars stay
 * undefined; absent lists and maps are empty, so callers never test for both.
 *
 * Every text field holds what the file says, before substitution: `${{package.version}}`
 * and friends are still in place (see {@link compileRecipe} and {@link substitute} for
 * the substituted form). Every scalar is text unless melange types it otherwise: `epoch`
 * is a number, option flags are booleans, and `version: 3.10` is "3.10".
 */
export type Recipe = {
  /** The file the recipe came from (for messages only). */
  readonly file: string;
  readonly package: RecipePackage;
  /** The build environment: what the sandbox holds while the pipeline runs. */
  readonly environment: BuildEnvironment;
  /** Linux capabilities granted to the build sandbox (`capabilities.add` / `drop`). */
  readonly capabilities: { readonly add: readonly string[]; readonly drop: readonly string[] };
  /** The main package's build steps, in order; they install into `${{targets.destdir}}`. */
  readonly pipeline: readonly PipelineStep[];
  /** Further packages split out of the same build, in file order (ranged ones not yet expanded). */
  readonly subpackages: readonly Subpackage[];
  /** Named key → value tables that a subpackage's `range:` iterates over. */
  readonly data: readonly RangeData[];
  /** `${{vars.NAME}}` values as written (they may refer to package fields and earlier vars). */
  readonly vars: Readonly<Record<string, string>>;
  /** Derived vars: `to` = regex replace of `from` (applied in order, after `vars`). */
  readonly varTransforms: readonly VarTransform[];
  /** Named build options (`options.NAME.enabled` is "true" when the build turns them on). */
  readonly options: Readonly<Record<string, BuildOption>>;
  /** How to find new upstream releases; undefined when the recipe has no `update:`. */
  readonly update?: UpdateConfig;
  /** Tests run against the built main package, in a separate environment. */
  readonly test?: RecipeTest;
};

export type RecipePackage = {
  /** Matches `^[a-zA-Z\d][a-zA-Z\d+_.-]*$` (checked at parse time). */
  readonly name: string;
  /** Text, never a number: `3.10` is "3.10". */
  readonly version: string;
  /** The `-rN` of the APK version; 0 when absent. */
  readonly epoch: number;
  readonly description?: string;
  readonly url?: string;
  /** The commit of the recipe repository (filled in by the build when absent). */
  readonly commit?: string;
  /** Architectures to build for (`x86_64`, `aarch64`, `all`); empty means all. */
  readonly targetArchitecture: readonly string[];
  readonly copyright: readonly Copyright[];
  readonly dependencies: Dependencies;
  readonly options: PackageOptions;
  readonly scriptlets?: Scriptlets;
  readonly annotations: Readonly<Record<string, string>>;
  /** Linters to turn off. */
  readonly checks: { readonly disabled: readonly string[] };
  /** CPE fields for vulnerability matching (part, vendor, product, …, as written). */
  readonly cpe: Readonly<Record<string, string>>;
  /** File capabilities to set after the pipeline ran (`setcap`). */
  readonly setcap: readonly FileCapability[];
  /** A Go duration as written (`2h`, `90m`), and in milliseconds. */
  readonly timeout?: { readonly text: string; readonly ms: number };
  readonly resources?: Resources;
  readonly testResources?: Resources;
};

export type Copyright = {
  /** Globs the license covers, typically `*`. */
  readonly paths: readonly string[];
  readonly attestation?: string;
  /** An SPDX license expression. */
  readonly license: string;
  /** Path (inside the source tree) to the text of a custom license. */
  readonly licensePath?: string;
  readonly detectionOverride?: string;
};

export type Dependencies = {
  /** Runtime dependencies as APK constraints (`so:libc.so.6`, `libcurl-abi=${{package.version}}`). */
  readonly runtime: readonly string[];
  readonly provides: readonly string[];
  readonly replaces: readonly string[];
  /** Text holding an integer (melange keeps it as text; checked to be an integer). */
  readonly providerPriority?: string;
  readonly replacesPriority?: string;
};

export type PackageOptions = {
  /** A virtual package: provides no files, commands or libraries. */
  readonly noProvides: boolean;
  /** Self-contained: no dependencies are generated. */
  readonly noDepends: boolean;
  /** Provides no commands (`cmd:` provides are not generated). */
  readonly noCommands: boolean;
  /** Shared library dependencies are not version-pinned. */
  readonly noVersionedShlibDeps: boolean;
};

/** Scripts APK runs around installation (each starts with its own shebang). */
export type Scriptlets = {
  readonly trigger?: { readonly script?: string; readonly paths: readonly string[] };
  readonly preInstall?: string;
  readonly postInstall?: string;
  readonly preDeinstall?: string;
  readonly postDeinstall?: string;
  readonly preUpgrade?: string;
  readonly postUpgrade?: string;
};

export type FileCapability = {
  readonly path?: string;
  /** Capability list (`cap_net_bind_service`) → flags (`+ep`). */
  readonly add: Readonly<Record<string, string>>;
  readonly reason?: string;
};

export type Resources = {
  readonly cpu?: string;
  readonly cpumodel?: string;
  readonly memory?: string;
  readonly disk?: string;
};

/**
 * The build (or test) environment, an apko image configuration. kiln uses `contents`,
 * `environment` and `accounts`; the other apko keys are accepted (melange accepts them)
 * and kept as parsed YAML in `other`.
 */
export type BuildEnvironment = {
  readonly contents: {
    readonly repositories: readonly string[];
    readonly buildRepositories: readonly string[];
    readonly runtimeRepositories: readonly string[];
    readonly keyring: readonly string[];
    /** Package requests as written (`busybox`, `openssl-dev>3`). */
    readonly packages: readonly string[];
  };
  /** Environment variables for every step; values are text even when YAML wrote `1` or `true`. */
  readonly environment: Readonly<Record<string, string>>;
  readonly accounts: {
    readonly runAs?: string;
    readonly users: readonly { readonly username: string; readonly uid?: number; readonly gid?: number; readonly shell?: string; readonly homedir?: string }[];
    readonly groups: readonly { readonly groupname: string; readonly gid?: number; readonly members: readonly string[] }[];
  };
  readonly archs: readonly string[];
  /** Other apko keys (entrypoint, cmd, paths, …), as parsed YAML, keyed as written. */
  readonly other: Readonly<Record<string, unknown>>;
};

/**
 * One pipeline step as written. A step does one thing (`action`), then runs its
 * nested `pipeline` with the same working directory and environment (children may
 * override them). `uses` names a pipeline definition on the search path
 * (`autoconf/configure` → `DIR/autoconf/configure.yaml`), `with` gives its inputs.
 */
export type PipelineStep = {
  readonly name?: string;
  /** Run only when this condition holds (`${{build.arch}} == 'x86_64'`); see {@link evaluateCondition}. */
  readonly if?: string;
  readonly action: StepAction;
  /** Relative to the build workspace unless absolute; inherited by nested steps. */
  readonly workingDirectory?: string;
  /** Added to the environment of this step and its nested steps. */
  readonly environment: Readonly<Record<string, string>>;
  readonly pipeline: readonly PipelineStep[];
  readonly label?: string;
  /** Packages the step needs in the build environment (`needs.packages`). */
  readonly needs: readonly string[];
  /** `assertions.required-steps`: how many nested steps must run (their `if:` held). */
  readonly requiredSteps?: number;
};

export type StepAction =
  | { readonly kind: 'uses'; readonly uses: string; readonly with: Readonly<Record<string, string>> }
  | { readonly kind: 'runs'; readonly runs: string }
  /** A step that only groups nested steps. */
  | { readonly kind: 'none' };

export type Subpackage = {
  readonly name: string;
  readonly description?: string;
  readonly url?: string;
  readonly commit?: string;
  /** Build this subpackage only when the condition holds. */
  readonly if?: string;
  /** The name of a `data:` table: one subpackage per item, with `${{range.key}}` / `${{range.value}}`. */
  readonly range?: string;
  /** Steps that move files from `${{targets.destdir}}` into `${{targets.subpkgdir}}`. */
  readonly pipeline: readonly PipelineStep[];
  readonly dependencies: Dependencies;
  readonly options: PackageOptions;
  readonly scriptlets?: Scriptlets;
  readonly annotations: Readonly<Record<string, string>>;
  readonly checks: { readonly disabled: readonly string[] };
  readonly setcap: readonly FileCapability[];
  readonly test?: RecipeTest;
};

export type RangeData = {
  readonly name: string;
  /** Key → value, keys as written (`3.10` stays "3.10"); ranges iterate in sorted key order. */
  readonly items: Readonly<Record<string, string>>;
};

export type VarTransform = {
  /** Text with substitutions, e.g. `${{package.version}}`. */
  readonly from: string;
  /** A Go (RE2) regular expression. */
  readonly match: string;
  /** Go replacement template: `$1`, `${1}`, `${name}`, `$$`. */
  readonly replace: string;
  /** The var it defines: `${{vars.TO}}`. */
  readonly to: string;
};

export type BuildOption = {
  readonly vars: Readonly<Record<string, string>>;
  readonly packages: { readonly add: readonly string[]; readonly remove: readonly string[] };
};

export type RecipeTest = {
  readonly environment: BuildEnvironment;
  readonly pipeline: readonly PipelineStep[];
};

/** melange's `update:` block: how the release monitor finds new versions. */
export type UpdateConfig = {
  readonly enabled: boolean;
  /** Updates are made by hand; the monitor only reports. */
  readonly manual: boolean;
  readonly requireSequential: boolean;
  readonly shared: boolean;
  readonly enablePrereleaseTags: boolean;
  readonly versionSeparator?: string;
  /** Versions matching any of these (Go regexps) are ignored. */
  readonly ignoreRegexPatterns: readonly string[];
  /** Applied in order to an upstream version before comparing (`match` regexp → `replace`). */
  readonly versionTransform: readonly { readonly match: string; readonly replace: string }[];
  readonly excludeReason?: string;
  readonly schedule?: { readonly period?: 'daily' | 'weekly' | 'monthly'; readonly reason?: string };
  /** At most one monitor kind is usually set; all that are written are kept. */
  readonly releaseMonitor?: ReleaseMonitorConfig;
  readonly github?: GitHubMonitorConfig;
  readonly git?: GitMonitorConfig;
  readonly oci?: OciMonitorConfig;
  /** `version_data` (melange's newer monitor), kept as parsed YAML. */
  readonly versionData?: unknown;
};

export type ReleaseMonitorConfig = {
  /** The release-monitoring.org project id. */
  readonly identifier: number;
  readonly stripPrefix?: string;
  readonly stripSuffix?: string;
  readonly versionFilterContains?: string;
  readonly versionFilterPrefix?: string;
};

export type GitHubMonitorConfig = {
  /** `owner/repo`. */
  readonly identifier: string;
  readonly stripPrefix?: string;
  readonly stripSuffix?: string;
  readonly tagFilter?: string;
  readonly tagFilterPrefix?: string;
  readonly tagFilterContains?: string;
  /** Watch tags rather than GitHub releases. */
  readonly useTag: boolean;
};

export type GitMonitorConfig = {
  readonly stripPrefix?: string;
  readonly stripSuffix?: string;
  readonly tagFilterPrefix?: string;
  readonly tagFilterContains?: string;
};

export type OciMonitorConfig = {
  readonly identifier: string;
  readonly stripPrefix?: string;
  readonly stripSuffix?: string;
  readonly tagFilterPrefix?: string;
  readonly tagFilterContains?: string;
};
