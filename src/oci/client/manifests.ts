import { KilnError } from '../../errors/index.ts';
import { digestAlgorithm, digestOf, isDigest, verifyContent, type Digest } from '../digest.ts';
import { MAX_MANIFEST_BYTES } from '../manifest.ts';
import { MANIFEST_MEDIA_TYPES, MediaType } from '../media-types.ts';
import { repositoryScope } from './auth.ts';
import { drain, header, readBody, type HttpResponse } from './http.ts';
import type { Transport } from './transport.ts';

/** A manifest exactly as the registry holds it: its bytes are what the digest is of. */
export type ManifestData = { readonly bytes: Buffer; readonly mediaType: string; readonly digest: Digest };

export type ManifestStat = { readonly digest: Digest; readonly mediaType: string; readonly size: number };

/** Every manifest type kiln reads, so that a registry never converts one on our behalf. */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

function manifestPath(repository: string, reference: string): string {
  return `/v2/${repository}/manifests/${reference}`;
}

/** GETs a manifest by tag or digest; by digest, the bytes are verified against it. */
export async function getManifest(t: Transport, repository: string, reference: string): Promise<ManifestData> {
  const found = await fetchManifest(t, repository, reference, false);
  if (!found) throw new KilnError('NOT_FOUND', `manifest ${reference} is not in ${t.host}/${repository}`);
  return found;
}

/** Like getManifest, but undefined when the registry answers 404. */
export async function tryGetManifest(t: Transport, repository: string, reference: string): Promise<ManifestData | undefined> {
  return fetchManifest(t, repository, reference, true);
}

async function fetchManifest(t: Transport, repository: string, reference: string, allowMissing: boolean): Promise<ManifestData | undefined> {
  const res = await t.request({
    method: 'GET',
    path: manifestPath(repository, reference),
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [repositoryScope(repository, 'pull')],
    operation: { host: t.host, repository, what: `GET manifest ${reference}` },
    ok: allowMissing ? [200, 404] : [200],
  });
  if (res.status === 404) {
    await drain(res);
    return undefined;
  }
  const where = `manifest ${reference} from ${t.host}/${repository}`;
  let bytes: Buffer;
  try {
    bytes = await readBody(res, MAX_MANIFEST_BYTES);
  } catch (cause) {
    throw new KilnError('REGISTRY_ERROR', `${where}: ${(cause as Error).message}`, { cause });
  }
  const digest = manifestDigest(res, bytes, reference, where);
  return { bytes, mediaType: manifestMediaType(res, bytes), digest };
}

/** By digest: verified. By tag: computed, and checked against Docker-Content-Digest when sent. */
function manifestDigest(res: HttpResponse, bytes: Buffer, reference: string, where: string): Digest {
  if (isDigest(reference)) {
    verifyContent(bytes, reference, undefined, where);
    return reference;
  }
  const claimed = header(res, 'docker-content-digest');
  if (claimed !== undefined && isDigest(claimed)) {
    const actual = digestOf(bytes, digestAlgorithm(claimed));
    if (actual !== claimed) {
      throw new KilnError('DIGEST_MISMATCH', `${where}: Docker-Content-Digest is ${claimed}, the content hashes to ${actual}`);
    }
    return claimed;
  }
  return digestOf(bytes);
}

/** Content-Type without parameters; else the document's own mediaType; else guessed from its shape. */
function manifestMediaType(res: HttpResponse, bytes: Buffer): string {
  const type = header(res, 'content-type')?.split(';')[0]?.trim();
  if (type && type !== 'application/json' && type !== 'text/plain') return type;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof doc.mediaType === 'string') return doc.mediaType;
    return Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  } catch {
    return type ?? MediaType.ociManifest;
  }
}

export async function headManifest(t: Transport, repository: string, reference: string): Promise<ManifestStat | undefined> {
  const res = await t.request({
    method: 'HEAD',
    path: manifestPath(repository, reference),
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [repositoryScope(repository, 'pull')],
    operation: { host: t.host, repository, what: `HEAD manifest ${reference}` },
    ok: [200, 404],
  });
  await drain(res);
  if (res.status === 404) return undefined;
  const claimed = header(res, 'docker-content-digest');
  const digest = claimed !== undefined && isDigest(claimed) ? claimed : isDigest(reference) ? reference : undefined;
  if (digest === undefined) {
    throw new KilnError('REGISTRY_ERROR', `HEAD manifest ${reference} on ${t.host}/${repository}: no Docker-Content-Digest header`);
  }
  return {
    digest,
    mediaType: header(res, 'content-type')?.split(';')[0]?.trim() ?? MediaType.ociManifest,
    size: Number(header(res, 'content-length') ?? '0'),
  };
}

export type PutManifestResult = {
  readonly digest: Digest;
  /** The registry answered with OCI-Subject: it indexes referrers itself. */
  readonly subjectIndexed: boolean;
};

/** PUTs manifest bytes verbatim under a tag or their digest. */
export async function putManifest(
  t: Transport,
  repository: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<PutManifestResult> {
  const digest = isDigest(reference) ? reference : digestOf(bytes);
  if (isDigest(reference)) verifyContent(bytes, reference, undefined, `manifest pushed to ${t.host}/${repository}`);
  const res = await t.request({
    method: 'PUT',
    path: manifestPath(repository, reference),
    headers: { 'content-type': mediaType },
    body: bytes,
    scopes: [repositoryScope(repository, 'pull,push')],
    operation: { host: t.host, repository, what: `PUT manifest ${reference}` },
    ok: [201, 200, 202, 204],
  });
  await drain(res);
  return { digest, subjectIndexed: header(res, 'oci-subject') !== undefined };
}

export async function deleteManifest(t: Transport, repository: string, reference: string): Promise<void> {
  const res = await t.request({
    method: 'DELETE',
    path: manifestPath(repository, reference),
    scopes: [repositoryScope(repository, 'delete')],
    operation: { host: t.host, repository, what: `DELETE manifest ${reference}` },
    ok: [200, 202, 204],
  });
  await drain(res);
}
