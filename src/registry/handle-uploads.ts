import { isValidRepositoryName, type Digest } from '../oci/index.ts';
import { RegistryError } from './errors.ts';
import { blobLocation, checkDigest, checkName, uploadLocation, type RequestContext } from './context.ts';
import { contentLength, hasBody, parseUploadRange, send, uploadRange } from './http-util.ts';
import type { AppendOptions, UploadState } from './storage.ts';

/** The only uuids we hand out; anything else (`../x`, `%2e%2e`) is unknown, never a path. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * POST /v2/<name>/blobs/uploads/ — starts an upload (end-4a), pushes a whole blob in
 * one request with `?digest=` (end-4b), or mounts a blob from another repository
 * with `?mount=&from=` (end-11), falling back to a new upload when it cannot.
 */
export async function startUpload(ctx: RequestContext, rawName: string): Promise<void> {
  const name = checkName(rawName);
  const mount = ctx.query.get('mount');
  const from = ctx.query.get('from');
  if (mount !== null && from !== null) {
    const digest = checkDigest(mount, 'mount');
    if (isValidRepositoryName(from) && (await ctx.storage.statBlob(from, digest)) && (await ctx.storage.linkBlob(name, digest))) {
      blobCreated(ctx, name, digest);
      return;
    }
  }
  const digestParam = ctx.query.get('digest');
  if (digestParam !== null) {
    const digest = checkDigest(digestParam);
    const upload = await ctx.storage.startUpload(name);
    try {
      await append(ctx, name, upload.uuid, { length: contentLength(ctx.req) });
    } catch (e) {
      await ctx.storage.cancelUpload(name, upload.uuid);
      throw e;
    }
    await ctx.storage.finishUpload(name, upload.uuid, digest);
    blobCreated(ctx, name, digest);
    return;
  }
  const upload = await ctx.storage.startUpload(name);
  send(ctx.res, 202, uploadHeaders(name, upload));
}

/** PATCH /v2/<name>/blobs/uploads/<uuid> (end-5): a chunk, or the whole blob streamed. */
export async function patchUpload(ctx: RequestContext, rawName: string, uuid: string): Promise<void> {
  const name = checkName(rawName);
  await requireUpload(ctx, name, uuid);
  const state = await append(ctx, name, uuid, chunkOptions(ctx));
  send(ctx.res, 202, uploadHeaders(name, state));
}

/** PUT /v2/<name>/blobs/uploads/<uuid>?digest= (end-6): the last chunk, if any, and done. */
export async function finishUpload(ctx: RequestContext, rawName: string, uuid: string): Promise<void> {
  const name = checkName(rawName);
  const digest = checkDigest(ctx.query.get('digest'), 'digest query parameter');
  await requireUpload(ctx, name, uuid);
  if (hasBody(ctx.req)) await append(ctx, name, uuid, chunkOptions(ctx));
  await ctx.storage.finishUpload(name, uuid, digest);
  blobCreated(ctx, name, digest);
}

/** GET /v2/<name>/blobs/uploads/<uuid> (end-13): how far the upload got. */
export async function uploadStatus(ctx: RequestContext, rawName: string, uuid: string): Promise<void> {
  const name = checkName(rawName);
  send(ctx.res, 204, uploadHeaders(name, await requireUpload(ctx, name, uuid)));
}

/** DELETE /v2/<name>/blobs/uploads/<uuid>: abandons the upload. */
export async function cancelUpload(ctx: RequestContext, rawName: string, uuid: string): Promise<void> {
  const name = checkName(rawName);
  await requireUpload(ctx, name, uuid);
  await ctx.storage.cancelUpload(name, uuid);
  send(ctx.res, 204, {});
}

async function requireUpload(ctx: RequestContext, name: string, uuid: string): Promise<UploadState> {
  const state = UUID.test(uuid) ? await ctx.storage.uploadState(name, uuid) : undefined;
  if (!state) {
    throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `no upload ${JSON.stringify(uuid.slice(0, 80))} in progress in ${name}`);
  }
  return state;
}

/**
 * A chunk's claims: where it starts and how long it is (Content-Range, Content-Length).
 * Claims that contradict each other are refused before a byte is read.
 */
function chunkOptions(ctx: RequestContext): AppendOptions {
  const range = parseUploadRange(ctx.req.headers['content-range']);
  const length = contentLength(ctx.req);
  if (range === undefined) return { length };
  const rangeLength = range.end - range.start + 1;
  if (length !== undefined && length !== rangeLength) {
    throw new RegistryError('SIZE_INVALID', `Content-Range ${range.start}-${range.end} is ${rangeLength} bytes, Content-Length says ${length}`);
  }
  return { start: range.start, length: rangeLength };
}

async function append(ctx: RequestContext, name: string, uuid: string, options: AppendOptions): Promise<UploadState> {
  if (!hasBody(ctx.req) || ctx.req.readableEnded) {
    if (options.length !== undefined && options.length > 0) {
      throw new RegistryError('SIZE_INVALID', `the chunk was said to hold ${options.length} bytes but the request has no body`);
    }
    const state = await ctx.storage.uploadState(name, uuid);
    if (!state) throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${uuid} is gone`);
    if (options.start !== undefined && options.start !== state.size) {
      throw new RegistryError('BLOB_UPLOAD_INVALID', `the chunk starts at byte ${options.start}, but the upload holds ${state.size} bytes`, {
        status: 416,
      });
    }
    return state;
  }
  return ctx.storage.appendUpload(name, uuid, ctx.req, options);
}

function uploadHeaders(name: string, state: UploadState): Record<string, string> {
  return {
    Location: uploadLocation(name, state.uuid),
    Range: uploadRange(state.size),
    'Docker-Upload-UUID': state.uuid,
  };
}

function blobCreated(ctx: RequestContext, name: string, digest: Digest): void {
  send(ctx.res, 201, { Location: blobLocation(name, digest), 'Docker-Content-Digest': digest });
}
