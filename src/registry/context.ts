import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_NAME_LENGTH, isDigest, isValidRepositoryName, isValidTag, type Digest } from '../oci/index.ts';
import { RegistryError } from './errors.ts';
import type { RegistryStorage } from './storage.ts';

/** What every endpoint handler gets. */
export type RequestContext = {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly query: URLSearchParams;
  readonly storage: RegistryStorage;
};

export function checkName(name: string): string {
  if (isValidRepositoryName(name)) return name;
  const why =
    name.length > MAX_NAME_LENGTH
      ? `is ${name.length} characters, over the limit of ${MAX_NAME_LENGTH}`
      : 'must be lowercase components of [a-z0-9] joined by . _ __ or -, separated by /';
  throw new RegistryError('NAME_INVALID', `repository name ${JSON.stringify(name.slice(0, 80))} ${why}`, {
    detail: { name: name.slice(0, 300) },
  });
}

export function checkDigest(s: string | null | undefined, where = 'digest'): Digest {
  if (s !== null && s !== undefined && isDigest(s)) return s;
  throw new RegistryError(
    'DIGEST_INVALID',
    `${where}: expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>, found ${JSON.stringify((s ?? '').slice(0, 140))}`,
  );
}

/** A manifest reference: a digest when it has a colon, else a tag. */
export function checkReference(reference: string): { readonly digest: Digest } | { readonly tag: string } {
  if (reference.includes(':')) return { digest: checkDigest(reference, 'manifest reference') };
  if (isValidTag(reference)) return { tag: reference };
  throw new RegistryError('TAG_INVALID', `tag ${JSON.stringify(reference.slice(0, 140))} must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`);
}

/** `Location` values are paths on this server: clients resolve them against the request URL. */
export function blobLocation(name: string, digest: Digest): string {
  return `/v2/${name}/blobs/${digest}`;
}

export function uploadLocation(name: string, uuid: string): string {
  return `/v2/${name}/blobs/uploads/${uuid}`;
}
