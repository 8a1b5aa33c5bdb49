export {
  type Digest,
  type DigestAlgorithm,
  isDigest,
  parseDigest,
  digestAlgorithm,
  digestHex,
  digestOf,
  verifyContent,
  HashingStream,
  VerifyingStream,
} from './digest.ts';
export { canonicalJson, canonicalJsonBytes } from './canonical-json.ts';
export {
  MediaType,
  type ManifestMediaType,
  MANIFEST_MEDIA_TYPES,
  isManifestMediaType,
  isIndexMediaType,
  EMPTY_JSON,
  EMPTY_JSON_DIGEST,
} from './media-types.ts';
export {
  DigestSchema,
  DescriptorSchema,
  PlatformSchema,
  ImageManifestSchema,
  ImageIndexSchema,
  ImageConfigSchema,
  type Descriptor,
  type Platform,
  type ImageManifest,
  type ImageIndex,
  type ImageConfig,
  type ParsedManifest,
} from './schemas.ts';
export { parseManifest, MAX_MANIFEST_BYTES } from './manifest.ts';
export {
  type ImageRef,
  type RegistryRef,
  type LayoutRef,
  parseImageRef,
  parseRegistryRef,
  parseLayoutRef,
  isValidRepositoryName,
  isValidTag,
  assertRepositoryName,
  assertTag,
  isLoopbackHost,
  refTarget,
  formatImageRef,
  MAX_NAME_LENGTH,
} from './reference.ts';
export { OciLayout, type BlobInfo } from './layout.ts';
export * from './client/index.ts';
export * from './copy/index.ts';
