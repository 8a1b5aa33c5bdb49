import { z } from 'zod';
import { isDigest, type Digest } from './digest.ts';
import { MediaType, type ManifestMediaType } from './media-types.ts';

/**
 * zod schemas for what comes from the network or disk: descriptors, image manifests,
 * image indexes and image configs (OCI image-spec v1.1; Docker schema 2 for reading).
 * Unknown fields are kept (`loose`), as the spec requires of readers.
 */

export const DigestSchema = z.string().refine(isDigest, { message: 'expected sha256:<64 hex> or sha512:<128 hex>' })
  .transform((s) => s as Digest);

const MediaTypeString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/, {
  message: 'expected a media type such as application/vnd.oci.image.manifest.v1+json',
});

const Annotations = z.record(z.string(), z.string());

export const PlatformSchema = z.looseObject({
  architecture: z.string().min(1),
  os: z.string().min(1),
  'os.version': z.string().optional(),
  'os.features': z.array(z.string()).optional(),
  variant: z.string().optional(),
  features: z.array(z.string()).optional(),
});
export type Platform = z.infer<typeof PlatformSchema>;

export const DescriptorSchema = z.looseObject({
  mediaType: MediaTypeString,
  digest: DigestSchema,
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: Annotations.optional(),
  data: z.string().optional(),
  artifactType: MediaTypeString.optional(),
  platform: PlatformSchema.optional(),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

export const ImageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.enum([MediaType.ociManifest, MediaType.dockerManifest]).optional(),
  artifactType: MediaTypeString.optional(),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: Annotations.optional(),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

export const ImageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.enum([MediaType.ociIndex, MediaType.dockerManifestList]).optional(),
  artifactType: MediaTypeString.optional(),
  manifests: z.array(DescriptorSchema),
  subject: DescriptorSchema.optional(),
  annotations: Annotations.optional(),
});
export type ImageIndex = z.infer<typeof ImageIndexSchema>;

export const ImageConfigSchema = z.looseObject({
  created: z.string().optional(),
  author: z.string().optional(),
  architecture: z.string().min(1),
  os: z.string().min(1),
  'os.version': z.string().optional(),
  variant: z.string().optional(),
  config: z
    .looseObject({
      User: z.string().optional(),
      ExposedPorts: z.record(z.string(), z.object({})).optional(),
      Env: z.array(z.string()).optional(),
      Entrypoint: z.array(z.string()).nullable().optional(),
      Cmd: z.array(z.string()).nullable().optional(),
      Volumes: z.record(z.string(), z.object({})).optional(),
      WorkingDir: z.string().optional(),
      Labels: z.record(z.string(), z.string()).optional(),
      StopSignal: z.string().optional(),
    })
    .optional(),
  rootfs: z.object({ type: z.literal('layers'), diff_ids: z.array(DigestSchema) }),
  history: z
    .array(
      z.looseObject({
        created: z.string().optional(),
        author: z.string().optional(),
        created_by: z.string().optional(),
        comment: z.string().optional(),
        empty_layer: z.boolean().optional(),
      }),
    )
    .optional(),
});
export type ImageConfig = z.infer<typeof ImageConfigSchema>;

/** A manifest as parsed from bytes, with the media type it was decided to be. */
export type ParsedManifest =
  | { readonly kind: 'image'; readonly mediaType: ManifestMediaType; readonly manifest: ImageManifest }
  | { readonly kind: 'index'; readonly mediaType: ManifestMediaType; readonly manifest: ImageIndex };
