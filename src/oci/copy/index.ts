export type { ImageSource, ImageTarget, ManifestRole, BlobCopyStatus } from './endpoints.ts';
export { copyImage, type CopyEvent, type CopyOptions, type CopyResult } from './copy-image.ts';
export { copyByReference, type CopyRefsOptions } from './open-endpoints.ts';
export { LayoutSource, LayoutTarget } from './layout-endpoint.ts';
export { RegistrySource, RegistryTarget } from './registry-endpoint.ts';
