import type { ApkConstraint } from '../apk/index.ts';
import type { Arch } from './arch.ts';

/**
 * An image configuration as kiln holds it after parsing an apko-style YAML file
 * (`contents`, `entrypoint`, `accounts`, `paths`, …). Field names follow apko's
 * (camelCase here); absent scalars stay undefined, absent lists and maps are empty.
 */
export type ImageSpec = {
  readonly contents: ImageContents;
  readonly entrypoint: Entrypoint;
  /** Arguments to the entrypoint, written as one shell-like line and split with shell quoting rules (as apko does). */
  readonly cmd?: CommandLine;
  readonly workDir?: string;
  readonly stopSignal?: string;
  /** Values are text even when the YAML wrote a number or a boolean. */
  readonly environment: Readonly<Record<string, string>>;
  readonly accounts: Accounts;
  readonly paths: readonly PathMutation[];
  readonly annotations: Readonly<Record<string, string>>;
  /** Deduplicated and sorted; empty means "whatever the build asks for" (the `--arch` flag or the host). */
  readonly archs: readonly Arch[];
  readonly volumes: readonly string[];
  readonly osRelease?: OsRelease;
  /** `URL@REVISION` becomes the org.opencontainers.image.source/revision annotations. */
  readonly vcsUrl?: string;
  /** Parsed and kept; kiln writes one layer per architecture for now. */
  readonly layering?: Layering;
  readonly certificates: readonly Certificate[];
};

export type ImageContents = {
  /** Used to build and written to /etc/apk/repositories. */
  readonly repositories: readonly RepositoryRef[];
  /** Used to build only. */
  readonly buildRepositories: readonly RepositoryRef[];
  /** Written to /etc/apk/repositories only. */
  readonly runtimeRepositories: readonly RepositoryRef[];
  /** Public keys (paths or URLs) that sign the repositories. */
  readonly keyring: readonly string[];
  readonly packages: readonly PackageRequest[];
};

/** `https://…/main`, or a tagged one, `@local ./packages`, that only `pkg@local` requests draw from. */
export type RepositoryRef = { readonly url: string; readonly tag?: string };

/** One `packages:` entry as written (`busybox`, `openssl>=3.3`, `hello@local`) and parsed. */
export type PackageRequest = { readonly spec: string; readonly constraint: ApkConstraint };

export type Entrypoint =
  | { readonly kind: 'none' }
  /** The line as written, split into argv with shell quoting rules. */
  | ({ readonly kind: 'command' } & CommandLine)
  /** Run as `/bin/sh -c FRAGMENT`. */
  | { readonly kind: 'shell-fragment'; readonly fragment: string }
  /** apko's s6 bundle: entrypoint `/bin/s6-svscan /sv`, one `/sv/NAME/run` per service, and the s6 package. */
  | { readonly kind: 'service-bundle'; readonly services: Readonly<Record<string, string>> };

/** A command line as written, and the argv it splits into. */
export type CommandLine = { readonly text: string; readonly argv: readonly string[] };

export type Accounts = {
  readonly runAs?: RunAs;
  readonly users: readonly AccountUser[];
  readonly groups: readonly AccountGroup[];
};

/** `run-as: 65532` or `run-as: nonroot` (the text goes to the OCI config's User as written). */
export type RunAs =
  | { readonly kind: 'uid'; readonly uid: number; readonly text: string }
  | { readonly kind: 'name'; readonly name: string; readonly text: string };

export type AccountUser = {
  readonly username: string;
  readonly uid: number;
  /** Optional in apko's schema; unset leaves the choice to whoever writes /etc/passwd. */
  readonly gid?: number;
  readonly shell?: string;
  /** Unset means /home/USERNAME ({@link homeDirOf}). */
  readonly homedir?: string;
};

export type AccountGroup = { readonly groupname: string; readonly gid: number; readonly members: readonly string[] };

type PathOwner = { readonly path: string; readonly uid: number; readonly gid: number };

/** apko's `paths:` mutations, applied to the rootfs after the packages are installed. */
export type PathMutation =
  | (PathOwner & { readonly type: 'directory'; readonly permissions: number; readonly recursive: boolean })
  | (PathOwner & { readonly type: 'empty-file'; readonly permissions: number })
  | (PathOwner & { readonly type: 'symlink'; readonly source: string })
  | (PathOwner & { readonly type: 'hardlink'; readonly source: string; readonly permissions: number })
  | (PathOwner & { readonly type: 'permissions'; readonly permissions: number; readonly recursive: boolean });

export type OsRelease = {
  readonly id?: string;
  readonly name?: string;
  readonly prettyName?: string;
  readonly versionId?: string;
  readonly homeUrl?: string;
  readonly bugReportUrl?: string;
};

export type Layering = { readonly strategy?: string; readonly budget?: number };

export type Certificate = { readonly name: string; readonly content: string };

/** A parsed file before its `include:` is resolved. */
export type ImageConfigDocument = {
  readonly file: string;
  readonly spec: ImageSpec;
  /** As written, relative to `file`'s directory. */
  readonly include?: string;
};

export function homeDirOf(user: AccountUser): string {
  return user.homedir ?? `/home/${user.username}`;
}
