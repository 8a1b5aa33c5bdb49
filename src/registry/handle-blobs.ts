import { pipeline } from 'node:stream';
import { RegistryError } from './errors.ts';
import { checkDigest, checkName, type RequestContext } from './context.ts';
import { parseRangeHeader, send } from './http-util.ts';

/** GET / HEAD /v2/<name>/blobs/<digest> (end-2), with single-range requests. */
export async function getBlob(ctx: RequestContext, rawName: string, rawDigest: string, head: boolean): Promise<void> {
  const name = checkName(rawName);
  const digest = checkDigest(rawDigest);
  const blob = await ctx.storage.statBlob(name, digest);
  if (!blob) throw new RegistryError('BLOB_UNKNOWN', `${name} has no blob ${digest}`, { detail: { digest } });
  const headers = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
  const range = parseRangeHeader(ctx.req.headers.range, blob.size);
  if (range === 'unsatisfiable') {
    send(ctx.res, 416, { ...headers, 'Content-Range': `bytes */${blob.size}` });
    return;
  }
  const length = range ? range.end - range.start + 1 : blob.size;
  ctx.res.writeHead(range ? 206 : 200, {
    ...headers,
    'Content-Length': length,
    ...(range && { 'Content-Range': `bytes ${range.start}-${range.end}/${blob.size}` }),
  });
  if (head || length === 0) {
    ctx.res.end();
    return;
  }
  // a failure after the headers went out can only be told by cutting the connection
  pipeline(ctx.storage.readBlob(digest, range), ctx.res, (e) => {
    if (e) ctx.res.destroy();
  });
}

/** DELETE /v2/<name>/blobs/<digest> (end-10): unlinks it; gc frees the bytes. */
export async function deleteBlob(ctx: RequestContext, rawName: string, rawDigest: string): Promise<void> {
  const name = checkName(rawName);
  const digest = checkDigest(rawDigest);
  if (!(await ctx.storage.unlinkBlob(name, digest))) {
    throw new RegistryError('BLOB_UNKNOWN', `${name} has no blob ${digest}`, { detail: { digest } });
  }
  send(ctx.res, 202, {});
}
