/** Media types of OCI image-spec v1.1, and Docker schema 2 (read, never written). */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociLayout: 'application/vnd.oci.layout.header.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export type ManifestMediaType =
  | typeof MediaType.ociManifest
  | typeof MediaType.ociIndex
  | typeof MediaType.dockerManifest
  | typeof MediaType.dockerManifestList;

export const MANIFEST_MEDIA_TYPES: readonly ManifestMediaType[] = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
];

export function isManifestMediaType(s: string): s is ManifestMediaType {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(s);
}

export function isIndexMediaType(s: string): boolean {
  return s === MediaType.ociIndex || s === MediaType.dockerManifestList;
}

/** The empty JSON object `{}` that OCI 1.1 artifacts use as a config. */
export const EMPTY_JSON = Buffer.from('{}');
export const EMPTY_JSON_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
