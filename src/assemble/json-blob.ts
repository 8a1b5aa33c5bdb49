import { canonicalJsonBytes, digestOf, type Descriptor } from '../oci/index.ts';

/** A JSON document as it will be stored: its canonical bytes and the descriptor that names them. */
export type JsonBlob = { readonly bytes: Buffer; readonly descriptor: Descriptor };

export function jsonBlob(mediaType: string, value: unknown, extra: Partial<Descriptor> = {}): JsonBlob {
  const bytes = canonicalJsonBytes(value);
  return { bytes, descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra } };
}
