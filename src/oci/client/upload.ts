import type { Readable } from 'node:stream';
import { KilnError, isKilnError } from '../../errors/index.ts';
import type { Digest } from '../digest.ts';
import { repositoryScope } from './auth.ts';
import { headBlob } from './blobs.ts';
import { drain, header, type HttpResponse } from './http.ts';
import { retryDelay, sleepFor } from './retry.ts';
import type { Transport } from './transport.ts';

/** Blob content to upload: bytes, a stream, or a function opening a stream only when one is needed. */
export type BlobBody = Uint8Array | Readable | (() => Readable | Promise<Readable>);

export type PushBlobOptions = {
  /** Another repository on the same registry that has the blob: try a cross-repository mount first. */
  readonly mountFrom?: string;
  /** Overrides the client's chunk size for this blob; 0 forces one monolithic PUT. */
  readonly chunkSize?: number;
  /** Skip the HEAD that checks whether the blob is already there. */
  readonly assumeAbsent?: boolean;
};

export type PushBlobResult = 'exists' | 'mounted' | 'uploaded';

const DEFAULT_SINGLE_POST_MAX = 64 * 1024;

/**
 * Uploads a blob unless the repository has it: a cross-repository mount when asked
 * (falling back to an upload when the registry answers 202), a single POST for small
 * byte blobs, else POST then one streamed PUT, or PATCH chunks then PUT when a chunk size
 * is set. The registry checks the digest; a mismatch is a RegistryError (DIGEST_MISMATCH).
 */
export async function pushBlob(
  t: Transport,
  repository: string,
  body: BlobBody,
  expected: { readonly digest: Digest; readonly size?: number },
  options: PushBlobOptions = {},
): Promise<PushBlobResult> {
  // A streamed PUT cannot be re-sent, but a stream we can re-open can start over in a new session.
  for (let attempt = 0; ; attempt++) {
    try {
      return await pushBlobOnce(t, repository, body, expected, attempt > 0 ? { ...options, assumeAbsent: false } : options);
    } catch (e) {
      if (typeof body !== 'function' || !isKilnError(e) || e.code !== 'NETWORK' || attempt >= t.retry.retries) throw e;
      await sleepFor(t.retry, retryDelay(t.retry, attempt + 1, undefined));
    }
  }
}

async function pushBlobOnce(
  t: Transport,
  repository: string,
  body: BlobBody,
  expected: { readonly digest: Digest; readonly size?: number },
  options: PushBlobOptions,
): Promise<PushBlobResult> {
  const { digest } = expected;
  const scopes = [repositoryScope(repository, 'pull,push')];
  const op = (what: string) => ({ host: t.host, repository, what: `${what} blob ${digest}` });
  if (!options.assumeAbsent && (await headBlob(t, repository, digest))) {
    if (!(body instanceof Uint8Array) && typeof body !== 'function') body.destroy();
    return 'exists';
  }
  const uploads = `/v2/${repository}/blobs/uploads/`;
  let location: string;
  if (options.mountFrom !== undefined && options.mountFrom !== repository) {
    const query = new URLSearchParams({ mount: digest, from: options.mountFrom });
    const res = await t.request({
      method: 'POST',
      path: `${uploads}?${query}`,
      scopes: [...scopes, repositoryScope(options.mountFrom, 'pull')],
      operation: op(`mount from ${options.mountFrom}`),
      ok: [201, 202],
    });
    await drain(res);
    if (res.status === 201) return 'mounted';
    location = uploadLocation(res, t, repository);
  } else if (body instanceof Uint8Array && body.length <= (t.options.singlePostMax ?? DEFAULT_SINGLE_POST_MAX)) {
    const res = await t.request({
      method: 'POST',
      path: `${uploads}?${new URLSearchParams({ digest })}`,
      headers: { 'content-type': 'application/octet-stream' },
      body,
      scopes,
      operation: op('POST'),
      ok: [201, 202],
    });
    await drain(res);
    if (res.status === 201) return 'uploaded';
    // 202: the registry opened a session instead of taking the blob in one request
    location = uploadLocation(res, t, repository);
  } else {
    const res = await t.request({ method: 'POST', path: uploads, scopes, operation: op('start upload of'), ok: [202] });
    await drain(res);
    location = uploadLocation(res, t, repository);
  }
  const chunkSize = options.chunkSize ?? t.options.chunkSize ?? 0;
  const stream = body instanceof Uint8Array ? undefined : typeof body === 'function' ? await body() : body;
  if (chunkSize > 0) {
    location = await patchChunks(t, repository, location, stream ?? (body as Uint8Array), chunkSize, op);
    await finish(t, location, digest, undefined, undefined, scopes, op('PUT'));
  } else {
    await finish(t, location, digest, stream ?? (body as Uint8Array), expected.size, scopes, op('PUT'));
  }
  return 'uploaded';
}

function uploadLocation(res: HttpResponse, t: Transport, repository: string): string {
  const location = header(res, 'location');
  if (!location) {
    throw new KilnError('REGISTRY_ERROR', `start upload on ${t.host}/${repository}: HTTP ${res.status} without a Location header`);
  }
  return t.url(location).href;
}

/** PATCHes the content in chunks with Content-Range; returns the Location to finish at. */
async function patchChunks(
  t: Transport,
  repository: string,
  start: string,
  content: Readable | Uint8Array,
  chunkSize: number,
  op: (what: string) => { host: string; repository: string; what: string },
): Promise<string> {
  let location = start;
  let offset = 0;
  for await (const chunk of chunksOf(content, chunkSize)) {
    const end = offset + chunk.length - 1;
    const res = await t.request({
      method: 'PATCH',
      path: location,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${end}` },
      body: chunk,
      scopes: [repositoryScope(repository, 'pull,push')],
      operation: op(`PATCH bytes ${offset}-${end} of`),
      ok: [202, 204],
    });
    await drain(res);
    location = t.url(header(res, 'location') ?? location).href;
    offset = end + 1;
  }
  return location;
}

/** Cuts a stream into buffers of exactly `size` bytes (the last may be shorter); one chunk in memory at a time. */
export async function* chunksOf(content: Readable | Uint8Array, size: number): AsyncGenerator<Buffer> {
  if (content instanceof Uint8Array) {
    for (let i = 0; i < content.length; i += size) yield Buffer.from(content.subarray(i, i + size));
    return;
  }
  let parts: Buffer[] = [];
  let held = 0;
  for await (const data of content as AsyncIterable<Buffer>) {
    let piece = data;
    while (held + piece.length >= size) {
      const take = size - held;
      parts.push(piece.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      held = 0;
      piece = piece.subarray(take);
    }
    if (piece.length > 0) {
      parts.push(piece);
      held += piece.length;
    }
  }
  if (held > 0) yield Buffer.concat(parts);
}

async function finish(
  t: Transport,
  location: string,
  digest: Digest,
  body: Readable | Uint8Array | undefined,
  size: number | undefined,
  scopes: readonly string[],
  operation: { host: string; repository: string; what: string },
): Promise<void> {
  const url = t.url(location);
  url.searchParams.set('digest', digest);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (body !== undefined && !(body instanceof Uint8Array) && size !== undefined) headers['content-length'] = String(size);
  const res = await t.request({
    method: 'PUT',
    path: url.href,
    headers,
    ...(body !== undefined && { body }),
    scopes,
    operation,
    ok: [201, 204],
  });
  await drain(res);
}
