export { startRegistry, type StartRegistryOptions, type RunningRegistry } from './server.ts';
export {
  createRegistryHandler,
  type RegistryHandler,
  type RegistryHandlerOptions,
  type RequestLogEntry,
} from './handler.ts';
export { type RegistryAuth, Authenticator } from './auth.ts';
export { loadRegistryAuth, parseHtpasswd, parseAuthFile, type AuthFiles } from './auth-config.ts';
export { FsRegistryStorage, type FsStorageOptions } from './fs-storage.ts';
export type {
  RegistryStorage,
  BlobStat,
  ByteRange,
  UploadState,
  StoredManifest,
  ManifestToStore,
  AppendOptions,
} from './storage.ts';
export { RegistryError, isRegistryError, type RegistryErrorCode } from './errors.ts';
export { collectGarbage, type GcOptions, type GcResult, type GcRemoval } from './gc.ts';
