/** Where the build sees its workspace; also HOME inside the sandbox. */
export const SANDBOX_WORKSPACE = '/home/build';

/** melange's layout: each package's files are installed under melange-out/<name>. */
export const SANDBOX_DESTDIR_ROOT = `${SANDBOX_WORKSPACE}/melange-out`;

/** The user the build runs as inside the sandbox (see bwrap-args.ts for why not root). */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;

export const DEFAULT_SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Two hours: long enough for a large C++ project on a small machine, short enough to notice a hang. */
export const DEFAULT_TIMEOUT_MS = 2 * 60 * 60 * 1000;

export type SandboxLimits = {
  /** Wall-clock limit for the whole sandbox; on expiry every process in it is killed. */
  readonly timeoutMs?: number;
  /**
   * RLIMIT_AS per process, in bytes. Address space rather than resident memory: it is what
   * rlimits offer without cgroups; runtimes that reserve large address ranges (Go, the JVM)
   * need a generous value.
   */
  readonly memoryBytes?: number;
  /** RLIMIT_CPU per process, in seconds of CPU time. */
  readonly cpuSeconds?: number;
};

export type LogLine = { readonly stream: 'stdout' | 'stderr'; readonly line: string };

export type SandboxLog = {
  /** The build log file; lines are appended, so several steps of one build can share it. */
  readonly path: string;
  /** Called for each complete line, e.g. to show progress. */
  readonly onLine?: (line: LogLine) => void;
};

/** A host directory made visible inside the sandbox, read-only unless `writable`. */
export type SandboxMount = {
  readonly host: string;
  readonly sandbox: string;
  readonly writable?: boolean;
};

export type SandboxOptions = {
  /** The build environment's root filesystem, mounted read-only as `/`. */
  readonly rootfs: string;
  /** Host directory mounted writable at /home/build. */
  readonly workspace: string;
  /** Package name → host directory mounted writable at /home/build/melange-out/<name>. */
  readonly destdirs?: Readonly<Record<string, string>>;
  /** Further read-only inputs (e.g. a pipeline directory). */
  readonly mounts?: readonly SandboxMount[];
  /** A shell script, run with `sh -e -c` (or `shell`) under umask 022. */
  readonly script: string;
  readonly shell?: string;
  /** Working directory inside the sandbox; defaults to the workspace. */
  readonly workdir?: string;
  /** Seconds since the epoch; every build sees it as SOURCE_DATE_EPOCH. */
  readonly sourceDateEpoch: number;
  /** Extra variables for the build. Names that look like secrets are refused unless in `allowEnv`. */
  readonly env?: Readonly<Record<string, string>>;
  readonly allowEnv?: readonly string[];
  readonly limits?: SandboxLimits;
  readonly log: SandboxLog;
  /** Aborting kills the sandbox like a timeout does. */
  readonly signal?: AbortSignal;
};

export type SandboxResult = {
  /** The script's exit status, or null when the sandbox was killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly logPath: string;
  /** The last lines of output, for error messages. */
  readonly logTail: readonly string[];
};
