import { createHash } from 'node:crypto';
import { KilnError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { assertEntryPath, comparePaths, parentDirectories, SCRIPT_NAMES, type ApkFile, type ApkScripts } from './apk-file.ts';
import { gzipDeterministic } from './gzip.ts';
import { assertPackageInfo, encodePkgInfo, type ApkPackageInfo, type PkgInfo } from './package-info.ts';
import { signatureEntries, type ApkSignatureType, type ApkSigningKey } from './signing.ts';
import { packTar, type TarEntry } from './tar.ts';

export type WriteApkInput = {
  /**
   * `installedSize` may be left out: it is then the regular files' sizes in whole 4 KiB
   * blocks (as apk-tools counts them), at least one block for a non-empty package.
   */
  readonly info: Omit<ApkPackageInfo, 'installedSize'> & { readonly installedSize?: number };
  readonly files: readonly ApkFile[];
  readonly scripts?: ApkScripts;
  readonly key: ApkSigningKey;
  /** Default: RSA256 first (apk-tools ≥ 2.12 uses it), then RSA (SHA-1) for older readers. */
  readonly signatureTypes?: readonly ApkSignatureType[];
  /** Every tar mtime; SOURCE_DATE_EPOCH of the build. */
  readonly sourceDateEpoch: number;
};

export type EncodedApk = {
  readonly bytes: Buffer;
  readonly info: PkgInfo;
  /** `Q1` + base64 SHA-1 of the control stream: the package identity in APKINDEX `C:`. */
  readonly checksum: string;
};

export const DEFAULT_SIGNATURE_TYPES: readonly ApkSignatureType[] = ['RSA256', 'RSA'];

/** `Q1` + base64 of the SHA-1 of a package's control gzip stream, as in APKINDEX `C:`. */
export function apkChecksumOf(controlStream: Uint8Array): string {
  return `Q1${createHash('sha1').update(controlStream).digest('base64')}`;
}

function owner(f: ApkFile): { uid: number; gid: number; uname: string; gname: string } {
  return {
    uid: f.uid,
    gid: f.gid,
    uname: f.uname ?? (f.uid === 0 ? 'root' : ''),
    gname: f.gname ?? (f.gid === 0 ? 'root' : ''),
  };
}

const BLOCK = 4096;

/** Sizes as apk-tools counts them: whole 4 KiB blocks. */
function blocks(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

function sha1Hex(data: Uint8Array | string): string {
  return createHash('sha1').update(data).digest('hex');
}

/**
 * The data tar entries: sorted by path, every parent directory present (apk-tools
 * refuses a package without them; missing ones are added as root-owned 0755), a SHA-1
 * PAX record on files and symlinks as abuild-tar writes it. Refuses duplicate paths,
 * unsafe paths, and hard links whose target is not an earlier regular file.
 */
function dataEntries(files: readonly ApkFile[], mtime: number): { entries: TarEntry[]; installedSize: number } {
  const byPath = new Map<string, ApkFile>();
  for (const f of files) {
    assertEntryPath(f.path, 'package file');
    if (byPath.has(f.path)) throw new KilnError('PACKAGE_INVALID', `package file ${JSON.stringify(f.path)} is listed twice`);
    if (!Number.isInteger(f.uid) || !Number.isInteger(f.gid) || f.uid < 0 || f.gid < 0) {
      throw new KilnError('PACKAGE_INVALID', `package file ${JSON.stringify(f.path)}: uid and gid must be whole numbers ≥ 0`);
    }
    byPath.set(f.path, f);
  }
  for (const f of files) {
    for (const dir of parentDirectories(f.path)) {
      const existing = byPath.get(dir);
      if (existing === undefined) byPath.set(dir, { kind: 'directory', path: dir, mode: 0o755, uid: 0, gid: 0 });
      else if (existing.kind !== 'directory') {
        throw new KilnError('PACKAGE_INVALID', `package file ${JSON.stringify(f.path)}: its parent ${JSON.stringify(dir)} is a ${existing.kind}, not a directory`);
      }
    }
  }
  const sorted = [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
  const seenFiles = new Set<string>();
  const entries: TarEntry[] = [];
  let installedSize = 0;
  for (const f of sorted) {
    switch (f.kind) {
      case 'directory':
        entries.push({ name: f.path, type: 'directory', mode: f.mode & 0o7777, ...owner(f), mtime });
        break;
      case 'file':
        installedSize += blocks(f.content.byteLength);
        seenFiles.add(f.path);
        entries.push({
          name: f.path,
          type: 'file',
          mode: f.mode & 0o7777,
          ...owner(f),
          mtime,
          content: f.content,
          pax: { 'APK-TOOLS.checksum.SHA1': sha1Hex(f.content) },
        });
        break;
      case 'symlink':
        if (f.target === '' || f.target.includes('\0')) throw new KilnError('PACKAGE_INVALID', `symlink ${JSON.stringify(f.path)} has an empty target or a NUL byte`);
        entries.push({
          name: f.path,
          type: 'symlink',
          mode: 0o777,
          ...owner(f),
          mtime,
          linkname: f.target,
          pax: { 'APK-TOOLS.checksum.SHA1': sha1Hex(f.target) },
        });
        break;
      case 'hardlink':
        assertEntryPath(f.target, `hard link ${JSON.stringify(f.path)}`);
        if (!seenFiles.has(f.target)) {
          throw new KilnError('PACKAGE_INVALID', `hard link ${JSON.stringify(f.path)} → ${JSON.stringify(f.target)}: the target must be a regular file that sorts before the link`);
        }
        entries.push({ name: f.path, type: 'link', mode: f.mode & 0o7777, ...owner(f), mtime, linkname: f.target });
        break;
    }
  }
  // apk-tools skips extracting a package whose size is 0, so one with only directories
  // or symlinks still counts one block
  return { entries, installedSize: installedSize === 0 && entries.length > 0 ? BLOCK : installedSize };
}

/**
 * Builds a signed APK v2 package in memory: signature, control and data gzip streams.
 * Identical input gives identical bytes (fixed mtimes, sorted entries, fixed gzip
 * header, PKCS#1 v1.5 signatures, which are deterministic).
 */
export async function encodeApk(input: WriteApkInput): Promise<EncodedApk> {
  const mtime = input.sourceDateEpoch;
  if (!Number.isSafeInteger(mtime) || mtime < 0) throw new KilnError('USAGE', `sourceDateEpoch: expected seconds since the epoch, found ${mtime}`);
  const { entries, installedSize } = dataEntries(input.files, mtime);
  const dataStream = gzipDeterministic(await packTar(entries, { endOfArchive: true }));
  const info: PkgInfo = {
    ...input.info,
    installedSize: input.info.installedSize ?? installedSize,
    dataHash: createHash('sha256').update(dataStream).digest('hex'),
  };
  assertPackageInfo(info, `package ${info.name}`);
  if (input.scripts?.trigger !== undefined && info.triggers.length === 0) {
    throw new KilnError('PACKAGE_INVALID', `package ${info.name}: a trigger script needs "triggers" directories`);
  }
  const root = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime };
  const control: TarEntry[] = [{ name: '.PKGINFO', type: 'file', mode: 0o644, ...root, content: Buffer.from(encodePkgInfo(info), 'utf8') }];
  for (const name of SCRIPT_NAMES) {
    const script = input.scripts?.[name];
    if (script !== undefined) control.push({ name: `.${name}`, type: 'file', mode: 0o755, ...root, content: Buffer.from(script, 'utf8') });
  }
  const controlStream = gzipDeterministic(await packTar(control, { endOfArchive: false }));
  const signatures = signatureEntries(controlStream, input.key, input.signatureTypes ?? DEFAULT_SIGNATURE_TYPES, mtime);
  const signatureStream = gzipDeterministic(await packTar(signatures, { endOfArchive: false }));
  return {
    bytes: Buffer.concat([signatureStream, controlStream, dataStream]),
    info,
    checksum: apkChecksumOf(controlStream),
  };
}

/** {@link encodeApk}, written atomically to `path`. */
export async function writeApk(path: string, input: WriteApkInput): Promise<EncodedApk> {
  const encoded = await encodeApk(input);
  await writeFileAtomic(path, encoded.bytes);
  return encoded;
}

/** The conventional file name: `name-version.apk`. */
export function apkFileName(info: Pick<ApkPackageInfo, 'name' | 'version'>): string {
  return `${info.name}-${info.version}.apk`;
}
