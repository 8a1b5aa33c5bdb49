import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { KilnError } from '../errors/index.ts';
import { assertEntryPath, parentDirectories, SCRIPT_NAMES, symlinkEscapesRoot, type ApkFile, type ApkScriptName } from './apk-file.ts';
import { inflateMemberAt, inflateSingleMember, inflateSingleMemberAsync, type GzipMember } from './gzip.ts';
import { decodePkgInfo, type PkgInfo } from './package-info.ts';
import { isSignatureEntryName, verifySignatureEntries, type ApkKeyring } from './signing.ts';
import { readTar, type TarEntry } from './tar.ts';
import { apkChecksumOf } from './write-apk.ts';

export type ReadApkOptions = {
  /** Trusted public keys by key name; the package must be signed by one of them. */
  readonly keys: ApkKeyring;
  /** Skip the signature check (still checks datahash and file checksums). */
  readonly allowUntrusted?: boolean;
};

export type DecodedApk = {
  readonly info: PkgInfo;
  /** `Q1…`: the APKINDEX `C:` identity (SHA-1 of the control stream). */
  readonly checksum: string;
  /** The key name whose signature verified; undefined only with allowUntrusted. */
  readonly signedBy: string | undefined;
  readonly files: readonly ApkFile[];
  readonly scripts: Readonly<Partial<Record<ApkScriptName, string>>>;
  /** Size of the package file in bytes (APKINDEX `S:`). */
  readonly size: number;
  /** SHA-256 of the package file's bytes as read (readApk only): what an SBOM names it by. */
  readonly fileSha256?: string;
};

const CHECKSUM_KEY = 'APK-TOOLS.checksum.SHA1';

/** Each file readApk returned → the SHA-1 of its content, checked against the package's PAX record. */
const checkedSha1 = new WeakMap<ApkFile, Uint8Array>();

/**
 * The SHA-1 of a file's content as {@link decodeApk} checked it, so that callers that
 * record it (lib/apk/db/installed) need not hash the content again; undefined for a file
 * that did not come from decodeApk.
 */
export function checkedSha1Of(file: ApkFile): Uint8Array | undefined {
  return checkedSha1.get(file);
}

/**
 * For the APK reader pool only (not exported from index.ts): `file` is the main thread's
 * copy of a file whose SHA-1 a reader thread checked, so checkedSha1Of answers for it too.
 */
export function rememberCheckedSha1(file: ApkFile, sha1: Uint8Array): void {
  checkedSha1.set(file, sha1);
}

function bad(where: string, why: string): KilnError {
  return new KilnError('PACKAGE_INVALID', `${where}: ${why}`);
}

function owner(e: TarEntry): { uid: number; gid: number; uname?: string; gname?: string } {
  return {
    uid: e.uid,
    gid: e.gid,
    ...(e.uname !== '' ? { uname: e.uname } : {}),
    ...(e.gname !== '' ? { gname: e.gname } : {}),
  };
}

/** Data entries as package files, refusing anything that could escape the root. */
function dataFiles(entries: readonly TarEntry[], where: string): ApkFile[] {
  const files: ApkFile[] = [];
  const kinds = new Map<string, ApkFile['kind']>();
  for (const e of entries) {
    const path = e.type === 'directory' ? e.name.replace(/\/+$/, '') : e.name;
    const at = `${where}: data entry ${JSON.stringify(e.name)}`;
    assertEntryPath(path, `${where}: data entry`);
    if (kinds.has(path)) throw bad(at, 'appears twice');
    for (const dir of parentDirectories(path)) {
      const kind = kinds.get(dir);
      // apk-tools refuses these too: each directory comes before what it holds
      if (kind === undefined) throw bad(at, `comes before (or without) a directory entry for its parent ${JSON.stringify(dir)}`);
      if (kind !== 'directory') throw bad(at, `its parent ${JSON.stringify(dir)} is a ${kind}, not a directory`);
    }
    const expected = e.pax?.[CHECKSUM_KEY];
    const checkSum = (data: Uint8Array | string): Buffer => {
      if (expected === undefined) throw bad(at, `has no ${CHECKSUM_KEY} PAX record`);
      const digest = createHash('sha1').update(data).digest();
      const actual = digest.toString('hex');
      if (actual !== expected.toLowerCase()) {
        throw new KilnError('DIGEST_MISMATCH', `${at}: content hashes to SHA-1 ${actual}, the package says ${expected}`);
      }
      return digest;
    };
    let file: ApkFile;
    switch (e.type) {
      case 'directory':
        file = { kind: 'directory', path, mode: e.mode, ...owner(e) };
        break;
      case 'file': {
        const content = e.content ?? new Uint8Array();
        file = { kind: 'file', path, mode: e.mode, content, ...owner(e) };
        checkedSha1.set(file, checkSum(content));
        break;
      }
      case 'symlink': {
        const target = e.linkname ?? '';
        if (target === '') throw bad(at, 'is a symlink without a target');
        if (symlinkEscapesRoot(path, target)) throw new KilnError('PATH_UNSAFE', `${at}: symlink target ${JSON.stringify(target)} leads outside the root`);
        if (expected !== undefined) checkSum(target);
        file = { kind: 'symlink', path, target, ...owner(e) };
        break;
      }
      case 'link': {
        const target = e.linkname ?? '';
        assertEntryPath(target, `${at}: hard link target`);
        if (kinds.get(target) !== 'file') throw new KilnError('PATH_UNSAFE', `${at}: hard link target ${JSON.stringify(target)} is not a regular file earlier in the package`);
        file = { kind: 'hardlink', path, target, mode: e.mode, ...owner(e) };
        break;
      }
    }
    kinds.set(path, file.kind);
    files.push(file);
  }
  return files;
}

/**
 * Reads an APK v2 package: checks the signature (against `keys`), the datahash of the
 * data stream, every file's SHA-1, and that no entry escapes the root.
 */
export async function decodeApk(bytes: Uint8Array, options: ReadApkOptions, where = 'package'): Promise<DecodedApk> {
  return decode(bytes, options, where, ON_POOL);
}

/**
 * Where the blocking work (reading the file, inflating the data stream) runs: on libuv's
 * thread pool, so that the main thread's event loop stays free; or in place on an APK
 * reader thread, whose only job this is: a hop to the pool would leave it idle and take
 * pool threads from the main thread's file I/O.
 */
type BlockingWork = {
  readonly readFile: (path: string) => Buffer | Promise<Buffer>;
  readonly inflateData: (compressed: Uint8Array, where: string) => GzipMember | Promise<GzipMember>;
};
const ON_POOL: BlockingWork = { readFile: (path) => readFile(path), inflateData: inflateSingleMemberAsync };
const IN_PLACE: BlockingWork = { readFile: (path) => readFileSync(path), inflateData: (compressed, where) => inflateSingleMember(compressed, where) };

async function decode(bytes: Uint8Array, options: ReadApkOptions, where: string, blocking: BlockingWork): Promise<DecodedApk> {
  // Signature and control first; the data stream is hashed before it is inflated, so
  // nothing from it is parsed unless .PKGINFO (which the signature covers) vouches for it.
  const sig = inflateMemberAt(bytes, 0, where);
  if (sig.end >= bytes.byteLength) throw bad(where, 'expected 3 gzip streams (signature, control, data), found 1');
  const ctl = inflateMemberAt(bytes, sig.end, where);
  if (ctl.end >= bytes.byteLength) throw bad(where, 'expected 3 gzip streams (signature, control, data), found 2');
  const controlMember = ctl.member;
  const dataCompressed = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(ctl.end);

  const sigEntries = await readTar(sig.member.content, `${where}: signature`);
  const stray = sigEntries.find((e) => !isSignatureEntryName(e.name));
  if (stray || sigEntries.length === 0) throw bad(where, `the first gzip stream must hold only .SIGN.* entries${stray ? `, found ${JSON.stringify(stray.name)}` : ''}`);
  const signedBy = options.allowUntrusted ? undefined : verifySignatureEntries(sigEntries, controlMember.compressed, options.keys, where);

  const control = await readTar(controlMember.content, `${where}: control`);
  const pkginfo = control.find((e) => e.name === '.PKGINFO');
  if (pkginfo === undefined) throw bad(where, 'the control stream has no .PKGINFO');
  const info = decodePkgInfo(Buffer.from(pkginfo.content ?? []).toString('utf8'), `${where}: .PKGINFO`);
  const scripts: Partial<Record<ApkScriptName, string>> = {};
  for (const e of control) {
    // apk-tools takes the first name without a leading dot (or with a slash) as the start
    // of the data part; anything else it does not know it ignores, and so does kiln
    if (!e.name.startsWith('.') || e.name.includes('/')) throw bad(where, `control entry ${JSON.stringify(e.name)}: expected a dot file such as .PKGINFO or .post-install`);
    const name = e.name.slice(1) as ApkScriptName;
    if (SCRIPT_NAMES.includes(name)) scripts[name] = Buffer.from(e.content ?? []).toString('utf8');
  }

  if (!/^[0-9a-f]{64}$/.test(info.dataHash)) throw bad(`${where}: .PKGINFO`, `datahash: expected 64 lowercase hex digits, found ${JSON.stringify(info.dataHash)}`);
  const dataHash = createHash('sha256').update(dataCompressed).digest('hex');
  if (dataHash !== info.dataHash) {
    throw new KilnError('DIGEST_MISMATCH', `${where}: the data stream hashes to sha256 ${dataHash}, .PKGINFO datahash says ${info.dataHash}`);
  }
  const dataMember = await blocking.inflateData(dataCompressed, `${where}: data`);
  const files = dataFiles(await readTar(dataMember.content, `${where}: data`), where);
  return { info, checksum: apkChecksumOf(controlMember.compressed), signedBy, files, scripts, size: bytes.byteLength };
}

export async function readApk(path: string, options: ReadApkOptions): Promise<DecodedApk> {
  return read(path, options, ON_POOL);
}

/** {@link readApk} for an APK reader thread (apk-reader-thread.ts): file read and inflate block this thread. */
export async function readApkOnThisThread(path: string, options: ReadApkOptions): Promise<DecodedApk> {
  return read(path, options, IN_PLACE);
}

async function read(path: string, options: ReadApkOptions, blocking: BlockingWork): Promise<DecodedApk> {
  let bytes: Buffer;
  try {
    bytes = await blocking.readFile(path);
  } catch (e) {
    throw new KilnError('NOT_FOUND', `package ${path}: ${(e as Error).message}`, { cause: e });
  }
  // hashed here, from the very bytes verified and installed, rather than by reading the
  // file again later for the SBOM (another read, and not necessarily the same bytes)
  const fileSha256 = createHash('sha256').update(bytes).digest('hex');
  return { ...(await decode(bytes, options, path, blocking)), fileSha256 };
}
