/**
 * src/assemble: from an apko-style image configuration and root filesystems to an OCI
 * image in a layout.
 *
 * 1. Configuration. `loadImageConfig(path)` reads an apko-compatible YAML file, follows
 *    `include:` (relative to the including file, inside the top file's directory, no
 *    cycles) and merges as apko does; `parseImageConfigYaml(text, file)` parses one
 *    document. Scalars are text; only fields apko types as integers or booleans are
 *    converted (`permissions: 0o755` → 493). Unknown keys, wrong types and malformed
 *    YAML are CONFIG_INVALID errors with `file:line:col: field.path: problem`.
 *
 * 2. Root filesystem → layer. A root filesystem is a list of `FsEntry`:
 *      { kind: 'directory', path, mode, uid, gid, xattrs? }
 *      { kind: 'file',      path, mode, uid, gid, xattrs?, content: { kind: 'host', path } | { kind: 'bytes', data } }
 *      { kind: 'symlink',   path, mode, uid, gid, target }          target stored as written
 *      { kind: 'hardlink',  path, target }                          target = another entry's path (a file)
 *    Paths are relative to the image root (`etc/passwd`; a leading `/` is dropped; `..`
 *    is refused); `mode` is permission bits only (0o7777). Whoever turns resolved APK
 *    packages into entries adds the generated files the same way (`lib/apk/db/installed`,
 *    `etc/apk/world`, `etc/apk/repositories`, `etc/passwd`, `etc/group`, `etc/os-release`,
 *    `paths:` mutations, `/sv/NAME/run` for a service bundle) and resolves overwrites
 *    before calling: a path may appear once. Missing parent directories are added as
 *    0755 root:root. `writeLayer(entries, sink, { sourceDateEpoch })` writes one
 *    deterministic tar+gzip layer (sorted, every mtime = SOURCE_DATE_EPOCH, no
 *    uname/gname, PAX only where ustar cannot hold an entry) and returns its descriptor
 *    and diff_id, streaming. Compression runs in 1 MiB blocks on several threads
 *    (layer/parallel-gzip.ts) at zlib level DEFAULT_GZIP_LEVEL, with random-looking 64 KiB
 *    segments stored rather than deflated. Each file of 64 KiB or more is compressed on
 *    its own (layer/tar-segments.ts), so its compressed bytes can come from the layer
 *    cache (`DeflateRunCache`, verified before use) in a later build. The bytes depend
 *    neither on the thread count nor on the cache, but the gzip stream does depend on
 *    Node's bundled zlib, so the layer digest is reproducible for a given Node release
 *    while the diff_id (the tar) is reproducible everywhere.
 *
 * 3. OCI documents. `buildImageConfig`, `buildImageManifest` and `buildImageIndex` are
 *    pure (data in, canonical JSON bytes and descriptor out); `assembleImage` writes
 *    layers, configs, manifests and the index into an OciLayout and tags it.
 *
 * Architectures are kept in APK form (`x86_64`, `aarch64`); `parseArch` accepts the
 * OCI spellings too and `ociPlatformOf` / `archFromPlatform` map between the two.
 */
export { type Arch, ALL_ARCHS, parseArch, hostArch, ociPlatformOf, archFromPlatform } from './arch.ts';
export type {
  ImageSpec,
  ImageContents,
  RepositoryRef,
  PackageRequest,
  Entrypoint,
  CommandLine,
  Accounts,
  RunAs,
  AccountUser,
  AccountGroup,
  PathMutation,
  OsRelease,
  Layering,
  Certificate,
  ImageConfigDocument,
} from './image-spec.ts';
export { homeDirOf } from './image-spec.ts';
export { parseImageConfigYaml } from './parse-image-config-yaml.ts';
export { loadImageConfig, type LoadImageConfigOptions, type LoadedImageConfig } from './load-image-config.ts';
export { mergeImageSpecs } from './merge-image-specs.ts';
export { splitShellWords } from './split-shell-words.ts';
export { MAX_YAML_BYTES } from '../yaml/index.ts';
export {
  type FsEntry,
  type FsDirectory,
  type FsFile,
  type FsSymlink,
  type FsHardlink,
  type FileContent,
  type LayerEntry,
  normalizeEntries,
  normalizeEntryPath,
  comparePaths,
} from './fs-entry.ts';
export { writeLayer, tarStream, DEFAULT_GZIP_LEVEL, type BlobSink, type LayerOptions, type LayerInfo } from './layer/write-layer.ts';
export { parallelGzip, defaultGzipConcurrency, type ParallelGzipOptions } from './layer/parallel-gzip.ts';
export {
  DeflateRunCache,
  DEFAULT_LAYER_CACHE_BYTES,
  type DeflateRunCacheOptions,
  type DeflateRunCacheStats,
  type DeflateRunKey,
} from './layer-cache/deflate-run-cache.ts';
export { type CompressedRun } from './layer/standalone-run.ts';
export { tarSegments, STANDALONE_MIN, type TarSegment } from './layer/tar-segments.ts';
export { type JsonBlob } from './json-blob.ts';
export { buildImageConfig, entrypointArgv, imageAnnotations, rfc3339, type ImageConfigInput } from './build-image-config.ts';
export { buildImageManifest, type ImageManifestInput } from './build-image-manifest.ts';
export { buildImageIndex, type ImageIndexInput } from './build-image-index.ts';
export {
  assembleImage,
  sourceDateEpochFrom,
  type ArchRootfs,
  type AssembleImageInput,
  type AssembledArch,
  type AssembledImage,
} from './assemble-image.ts';
export {
  buildImage,
  buildRootfs,
  configDigestOf,
  encodeInstalledDb,
  encodeImageLockfile,
  parseImageLockfile,
  readImageLockfile,
  imageLockfileOf,
  type BuildImageInput,
  type BuiltImage,
  type BuildRootfsInput,
  type BuiltRootfs,
  type LocalRepository,
  type InstalledPackage,
  type ImageLockfile,
  type LockedPackage,
} from './rootfs/index.ts';
export {
  archPackageEvidence,
  attachImageEvidence,
  assertSbomComplete,
  sbomViolations,
  imageFactsFor,
  resolveImageSigningKey,
  defaultImageKeyPath,
  type ArchPackageEvidence,
  type ImageIdentity,
  type ImageEvidenceInput,
  type ImageEvidenceResult,
  type BuildInputFile,
  type ImageSigningKeySource,
} from './evidence/index.ts';
