export {
  type ApkVersion,
  type Ordering,
  parseApkVersion,
  isApkVersion,
  compareApkVersions,
  compareApkVersionsFuzzy,
  apkVersionWithoutRevision,
} from './version.ts';
export {
  type ApkConstraint,
  type ApkVersionOp,
  type ApkVersionMatch,
  parseApkConstraint,
  parseApkConstraints,
  parseApkProvide,
  formatApkConstraint,
  apkNameNamespace,
  isValidApkName,
  satisfies,
} from './constraint.ts';
export { type ApkPackageInfo, type PkgInfo, encodePkgInfo, decodePkgInfo, assertPackageInfo } from './package-info.ts';
export { type ApkFile, type ApkScripts, type ApkScriptName, assertEntryPath, symlinkEscapesRoot } from './apk-file.ts';
export {
  type ApkSignatureType,
  type ApkSigningKey,
  type GeneratedApkSigningKey,
  type ApkKeyring,
  generateApkSigningKey,
  keyNameFor,
  publicPemOf,
  loadApkKeys,
} from './signing.ts';
export {
  type WriteApkInput,
  type EncodedApk,
  encodeApk,
  writeApk,
  apkFileName,
  apkChecksumOf,
  DEFAULT_SIGNATURE_TYPES,
} from './write-apk.ts';
export { type ReadApkOptions, type DecodedApk, decodeApk, readApk, checkedSha1Of } from './read-apk.ts';
export { type ApkReaderPoolOptions, type ApkRead, ApkReaderPool, readApkInWorker, readApkInWorkerThen, warmApkReaders } from './apk-reader-pool.ts';
export type { AfterRead, AfterReadResult, AfterReadStep } from './apk-after-read.ts';
export { type ExtractOptions, extractApkFiles } from './extract-apk.ts';
export { type TarEntry, type TarEntryType, type RawTarEntry, readTarEntries } from './tar.ts';
export {
  type ApkIndexEntry,
  type ApkIndex,
  type Repository,
  type WriteApkIndexInput,
  type ReadApkIndexOptions,
  indexEntryFor,
  compareIndexEntries,
  encodeApkIndexText,
  parseApkIndexText,
  encodeApkIndex,
  writeApkIndex,
  decodeApkIndex,
  readApkIndex,
  indexPathFor,
  readRepositories,
} from './apkindex.ts';
export { type SolveOptions, solveApkWorld } from './solver.ts';
export { type ApkWorldEntry } from './solver-world.ts';
export { type SolverRepository, repositoryLabel } from './solver-universe.ts';
export { type ApkResolution, type ApkResolvedPackage, type ApkSelectionReason } from './solver-result.ts';
export { type ApkLockEntry, resolveLocked, lockEntriesOf } from './solver-lock.ts';
