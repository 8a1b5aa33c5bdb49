import { Readable } from 'node:stream';
import { KilnError } from '../../errors/index.ts';
import { VerifyingStream, type Digest } from '../digest.ts';
import { repositoryScope } from './auth.ts';
import { drain, header, readBody, type HttpResponse } from './http.ts';
import { isConnectionError } from './retry.ts';
import type { Transport } from './transport.ts';

export type BlobStat = { readonly digest: Digest; readonly size: number };

export function blobPath(repository: string, digest: Digest): string {
  return `/v2/${repository}/blobs/${digest}`;
}

/** Size of a blob in the repository, or undefined when it is not there. */
export async function headBlob(t: Transport, repository: string, digest: Digest): Promise<BlobStat | undefined> {
  const res = await t.request({
    method: 'HEAD',
    path: blobPath(repository, digest),
    scopes: [repositoryScope(repository, 'pull')],
    operation: { host: t.host, repository, what: `HEAD blob ${digest}` },
    ok: [200, 404],
  });
  await drain(res);
  if (res.status === 404) return undefined;
  return { digest, size: Number(header(res, 'content-length') ?? '0') };
}

/**
 * A stream of the blob that fails at its end unless the content hashes to `digest`
 * (and has `size` bytes when given). When the connection breaks mid-body, the rest is
 * requested with `Range: bytes=N-` and hashing carries on, up to `maxResumes` times.
 */
export function openBlob(t: Transport, repository: string, digest: Digest, size?: number): Readable {
  const where = `${t.host}/${repository}`;
  const maxResumes = t.options.maxResumes ?? 3;
  const fetchFrom = async (offset: number): Promise<HttpResponse> => {
    const res = await t.request({
      method: 'GET',
      path: blobPath(repository, digest),
      headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
      scopes: [repositoryScope(repository, 'pull')],
      operation: { host: t.host, repository, what: offset > 0 ? `GET blob ${digest} from byte ${offset}` : `GET blob ${digest}` },
      ok: offset > 0 ? [200, 206] : [200],
    });
    return res;
  };
  async function* body(): AsyncGenerator<Buffer> {
    let offset = 0;
    let resumes = 0;
    let res = await fetchFrom(0);
    for (;;) {
      // A registry that ignores Range answers 200 with the whole blob: skip what we have.
      let skip = res.status === 200 ? offset : 0;
      if (res.status === 206) checkContentRange(header(res, 'content-range'), offset, `${where} blob ${digest}`);
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          if (skip > 0) {
            if (chunk.length <= skip) {
              skip -= chunk.length;
              continue;
            }
            const rest = chunk.subarray(skip);
            skip = 0;
            offset += rest.length;
            yield rest;
            continue;
          }
          offset += chunk.length;
          yield chunk;
        }
        return;
      } catch (e) {
        if (!isConnectionError(e) || resumes >= maxResumes) {
          throw new KilnError('NETWORK', `GET blob ${digest} on ${where}: connection broke at byte ${offset}`, { cause: e });
        }
        resumes++;
        res = await fetchFrom(offset);
      }
    }
  }
  const verify = new VerifyingStream(digest, size, where);
  const source = Readable.from(body(), { objectMode: false });
  source.on('error', (e) => verify.destroy(e));
  // a reader that gives up early releases the connection
  verify.on('close', () => source.destroy());
  return source.pipe(verify);
}

function checkContentRange(value: string | undefined, offset: number, where: string): void {
  if (value === undefined) return;
  const m = /^bytes ([0-9]+)-/.exec(value);
  if (m && Number(m[1]) !== offset) {
    throw new KilnError('REGISTRY_ERROR', `${where}: asked for bytes from ${offset}, the registry sent Content-Range ${value}`);
  }
}

/** Reads a small blob (a config, an SBOM) whole, verified. */
export async function readBlob(t: Transport, repository: string, digest: Digest, size?: number, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of openBlob(t, repository, digest, size) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) throw new KilnError('SIZE_MISMATCH', `blob ${digest} on ${t.host}/${repository} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export async function deleteBlob(t: Transport, repository: string, digest: Digest): Promise<void> {
  const res = await t.request({
    method: 'DELETE',
    path: blobPath(repository, digest),
    scopes: [repositoryScope(repository, 'delete')],
    operation: { host: t.host, repository, what: `DELETE blob ${digest}` },
    ok: [200, 202, 204],
  });
  await readBody(res, 64 * 1024);
}
