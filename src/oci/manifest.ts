import { KilnError, describeZodIssues } from '../errors/index.ts';
import { MediaType, isIndexMediaType, isManifestMediaType, type ManifestMediaType } from './media-types.ts';
import { ImageIndexSchema, ImageManifestSchema, type ParsedManifest } from './schemas.ts';

/** Manifests larger than this are refused, as distribution does. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Parses manifest bytes into an image manifest or an index. The media type comes from
 * the document's own `mediaType`, else from the Content-Type it was served or pushed
 * with, else from its shape (`manifests` → index, `config` → image).
 */
export function parseManifest(bytes: Uint8Array, where: string, contentType?: string): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new KilnError('MANIFEST_INVALID', `${where}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KilnError('MANIFEST_INVALID', `${where}: expected a JSON object`);
  }
  const declared = (json as { mediaType?: unknown }).mediaType;
  const header = contentType?.split(';')[0]?.trim();
  const mediaType = pickMediaType(declared, header, json, where);
  if (typeof declared === 'string' && header !== undefined && isManifestMediaType(header) && header !== declared) {
    throw new KilnError('MANIFEST_INVALID', `${where}: Content-Type ${header} does not match the manifest's mediaType ${declared}`);
  }
  if (isIndexMediaType(mediaType)) {
    const r = ImageIndexSchema.safeParse(json);
    if (!r.success) throw new KilnError('MANIFEST_INVALID', `${where}: invalid image index: ${describeZodIssues(r.error)}`);
    return { kind: 'index', mediaType, manifest: r.data };
  }
  const r = ImageManifestSchema.safeParse(json);
  if (!r.success) throw new KilnError('MANIFEST_INVALID', `${where}: invalid image manifest: ${describeZodIssues(r.error)}`);
  return { kind: 'image', mediaType, manifest: r.data };
}

function pickMediaType(declared: unknown, header: string | undefined, json: object, where: string): ManifestMediaType {
  if (declared !== undefined) {
    if (typeof declared === 'string' && isManifestMediaType(declared)) return declared;
    throw new KilnError('MANIFEST_INVALID', `${where}: unsupported mediaType ${JSON.stringify(declared)}`);
  }
  if (header !== undefined && isManifestMediaType(header)) return header;
  return 'manifests' in json ? MediaType.ociIndex : MediaType.ociManifest;
}
