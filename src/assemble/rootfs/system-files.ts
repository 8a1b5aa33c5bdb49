import { formatApkConstraint, repositoryLabel, type ApkKeyring } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import { comparePaths, type FsEntry } from '../fs-entry.ts';
import { rfc3339 } from '../build-image-config.ts';
import { homeDirOf, type ImageSpec, type OsRelease } from '../image-spec.ts';
import { gidOf, mergeGroup, mergePasswd } from './accounts-files.ts';
import { encodeInstalledDb, type InstalledPackage } from './installed-db.ts';
import type { RootfsTree } from './rootfs-tree.ts';

export type SystemFilesInput = {
  readonly spec: ImageSpec;
  readonly arch: string;
  readonly installed: readonly InstalledPackage[];
  /** The keys that verified the packages and indexes: written to etc/apk/keys. */
  readonly keys: ApkKeyring;
  readonly sourceDateEpoch: number;
};

const text = (s: string): { readonly kind: 'bytes'; readonly data: Uint8Array } => ({ kind: 'bytes', data: Buffer.from(s, 'utf8') });

function put(tree: RootfsTree, path: string, content: string, mode = 0o644): void {
  const at = tree.resolve(path, `generated /${path}`);
  const existing = tree.get(at);
  if (existing?.kind === 'directory') throw new KilnError('FILE_CONFLICT', `/${at}: kiln writes a file there, but a package made it a directory`);
  tree.ensureParents(at);
  // a package's file keeps its mode and owner; the content is kiln's
  const base = existing?.kind === 'file' ? { mode: existing.mode, uid: existing.uid, gid: existing.gid } : { mode, uid: 0, gid: 0 };
  tree.set({ kind: 'file', path: at, ...base, content: text(content) });
}

function read(tree: RootfsTree, path: string): string | undefined {
  const at = tree.resolve(path, `reading /${path}`, { followLast: true });
  const e = tree.get(at);
  return e?.kind === 'file' && e.content.kind === 'bytes' ? Buffer.from(e.content.data).toString('utf8') : undefined;
}

/**
 * The files apk and apko leave beside the packages: the installed database, world,
 * repositories, keys and arch under etc/apk and lib/apk; `etc/os-release` (a package's
 * own is kept unless the configuration sets `os-release`, as apko does); `etc/passwd`
 * and `etc/group` (a package's merged with the configured accounts, else a root-only
 * base); and each configured user's home directory, owned by the user.
 */
export function addSystemFiles(tree: RootfsTree, input: SystemFilesInput): void {
  const { spec } = input;
  put(tree, 'lib/apk/db/installed', encodeInstalledDb(input.installed));
  const world = [...new Set(spec.contents.packages.map((p) => formatApkConstraint(p.constraint)))].sort(comparePaths);
  put(tree, 'etc/apk/world', world.length > 0 ? `${world.join('\n')}\n` : '');
  // what the image itself would use at run time; build-only repositories stay out, as in apko
  const repos = [...spec.contents.repositories, ...spec.contents.runtimeRepositories].map((r) => repositoryLabel(r));
  put(tree, 'etc/apk/repositories', repos.length > 0 ? `${repos.join('\n')}\n` : '');
  put(tree, 'etc/apk/arch', `${input.arch}\n`);
  for (const name of [...input.keys.keys()].sort(comparePaths)) {
    if (name.includes('/') || name === '.' || name === '..') throw new KilnError('KEY_INVALID', `key name ${JSON.stringify(name)}: expected a file name`);
    put(tree, `etc/apk/keys/${name}`, input.keys.get(name) ?? '');
  }
  if (spec.osRelease !== undefined || read(tree, 'etc/os-release') === undefined) put(tree, 'etc/os-release', encodeOsRelease(spec.osRelease, input.sourceDateEpoch));

  put(tree, 'etc/passwd', mergePasswd(read(tree, 'etc/passwd'), spec.accounts));
  put(tree, 'etc/group', mergeGroup(read(tree, 'etc/group'), spec.accounts));
  spec.accounts.users.forEach((u, i) => {
    const home = tree.resolve(homeDirOf(u), `accounts.users[${i}].homedir`, { followLast: true });
    const existing = tree.get(home);
    if (existing !== undefined && existing.kind !== 'directory') {
      throw new KilnError('CONFIG_INVALID', `accounts.users[${i}].homedir: /${home} is a ${existing.kind} in the image, not a directory`);
    }
    tree.ensureParents(home);
    const dir: FsEntry = { kind: 'directory', path: home, mode: existing?.mode ?? 0o755, uid: u.uid, gid: gidOf(u) };
    tree.set(dir);
  });
}


/**
 * kiln's values for fields the configuration leaves out. Scanners (syft, grype, trivy)
 * read ID and VERSION_ID to pick a distribution; `kiln` tells them the packages come
 * from kiln's own repositories rather than Alpine's or Wolfi's. VERSION_ID is the build
 * date (SOURCE_DATE_EPOCH as YYYYMMDD), so it is deterministic and still says something.
 */
export const DEFAULT_OS_RELEASE = {
  id: 'kiln',
  name: 'kiln',
  prettyName: 'kiln hardened image',
  // a placeholder under the reserved .invalid domain until kiln has a home page
  homeUrl: 'https://kiln.invalid/',
} as const;

function quoted(value: string): string {
  return `"${value.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
}

/**
 * `/etc/os-release` in the field order apko writes (ID, NAME, PRETTY_NAME, VERSION_ID,
 * HOME_URL, BUG_REPORT_URL); ID and VERSION_ID unquoted (they are lowercase words),
 * the rest double-quoted with shell escapes.
 */
export function encodeOsRelease(release: OsRelease | undefined, sourceDateEpoch: number): string {
  const r = release ?? {};
  const versionId = r.versionId ?? rfc3339(sourceDateEpoch).slice(0, 10).replaceAll('-', '');
  const lines = [
    `ID=${r.id ?? DEFAULT_OS_RELEASE.id}`,
    `NAME=${quoted(r.name ?? DEFAULT_OS_RELEASE.name)}`,
    `PRETTY_NAME=${quoted(r.prettyName ?? DEFAULT_OS_RELEASE.prettyName)}`,
    `VERSION_ID=${versionId}`,
    `HOME_URL=${quoted(r.homeUrl ?? DEFAULT_OS_RELEASE.homeUrl)}`,
    ...(r.bugReportUrl !== undefined ? [`BUG_REPORT_URL=${quoted(r.bugReportUrl)}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
