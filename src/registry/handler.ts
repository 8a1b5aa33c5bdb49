import type { IncomingMessage, ServerResponse } from 'node:http';
import { isKilnError } from '../errors/index.ts';
import { Authenticator, type RegistryAuth } from './auth.ts';
import type { RequestContext } from './context.ts';
import { RegistryError, errorBody, isRegistryError } from './errors.ts';
import { FsRegistryStorage, type FsStorageOptions } from './fs-storage.ts';
import { deleteBlob, getBlob } from './handle-blobs.ts';
import { listCatalog, listReferrers, listTags } from './handle-listings.ts';
import { deleteManifest, getManifest, putManifest } from './handle-manifests.ts';
import { cancelUpload, finishUpload, patchUpload, startUpload, uploadStatus } from './handle-uploads.ts';
import { respondAfterBody, send, sendJson } from './http-util.ts';
import { parseRoute, type Route } from './routes.ts';
import type { RegistryStorage } from './storage.ts';

/** One line per request when logging is on; never headers, so never credentials. */
export type RequestLogEntry = {
  readonly time: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly user?: string;
};

export type RegistryHandlerOptions = (
  | { readonly storage: RegistryStorage }
  | { readonly storageDir: string; readonly storageOptions?: FsStorageOptions }
) & {
  readonly auth?: RegistryAuth;
  readonly log?: (entry: RequestLogEntry) => void;
  /** Errors that are the registry's fault (500), for the operator's log. */
  readonly onInternalError?: (e: unknown) => void;
};

export type RegistryHandler = (req: IncomingMessage, res: ServerResponse) => void;

const WRITE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A node request handler serving distribution-spec v1.1 under `/v2/`, for a server of
 * its own (`startRegistry`) or mounted in a bigger one (`kiln serve`).
 */
export function createRegistryHandler(options: RegistryHandlerOptions): RegistryHandler {
  const storage = 'storage' in options ? options.storage : new FsRegistryStorage(options.storageDir, options.storageOptions);
  const auth = options.auth ? new Authenticator(options.auth) : undefined;
  const onInternalError = options.onInternalError ?? ((e: unknown) => process.stderr.write(`kiln registry: ${String((e as Error)?.stack ?? e)}\n`));

  return (req, res) => {
    const started = performance.now();
    let user: string | undefined;
    if (options.log) {
      const log = options.log;
      res.once('finish', () =>
        log({
          time: new Date().toISOString(),
          method: req.method ?? '',
          path: req.url ?? '',
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 10) / 10,
          ...(user !== undefined && { user }),
        }),
      );
    }
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const ctx: RequestContext = {
      req,
      res,
      query: new URLSearchParams(q >= 0 ? url.slice(q + 1) : ''),
      storage,
    };
    const run = async (): Promise<void> => {
      const route = parseRoute(q >= 0 ? url.slice(0, q) : url);
      if (!route) throw new RegistryError('UNSUPPORTED', `no endpoint ${req.method} ${url.slice(0, 200)}`, { status: 404 });
      const method = req.method ?? 'GET';
      if (auth && (WRITE_METHODS.has(method) || !auth.anonymousPull || (route.kind === 'base' && req.headers.authorization))) {
        const verdict = await auth.check(req.headers.authorization);
        if (!verdict.ok) throw new RegistryError('UNAUTHORIZED', verdict.reason);
        user = verdict.user;
      }
      await dispatch(ctx, route, method);
    };
    run().catch((e: unknown) => {
      // after the headers went out, or once the client is gone, there is nobody to tell
      if (res.headersSent || req.errored || res.destroyed) {
        res.destroy();
        return;
      }
      const err = toRegistryError(e);
      if (!err) {
        onInternalError(e);
        respondAfterBody(req, res, () =>
          sendJson(res, 500, { errors: [{ code: 'UNKNOWN', message: 'internal error; see the registry log', detail: null }] }),
        );
        return;
      }
      const headers = {
        'Content-Type': 'application/json',
        ...(err.status === 401 && { 'WWW-Authenticate': 'Basic realm="kiln"' }),
      };
      respondAfterBody(req, res, () => send(res, err.status, headers, errorBody(err)));
    });
  };
}

function dispatch(ctx: RequestContext, route: Route, method: string): Promise<void> | void {
  const head = method === 'HEAD';
  const read = method === 'GET' || head;
  switch (route.kind) {
    case 'base':
      if (read) return sendJson(ctx.res, 200, {});
      break;
    case 'catalog':
      if (read) return listCatalog(ctx);
      break;
    case 'tags':
      if (read) return listTags(ctx, route.name);
      break;
    case 'referrers':
      if (read) return listReferrers(ctx, route.name, route.digest);
      break;
    case 'manifest':
      if (read) return getManifest(ctx, route.name, route.reference, head);
      if (method === 'PUT') return putManifest(ctx, route.name, route.reference);
      if (method === 'DELETE') return deleteManifest(ctx, route.name, route.reference);
      break;
    case 'blob':
      if (read) return getBlob(ctx, route.name, route.digest, head);
      if (method === 'DELETE') return deleteBlob(ctx, route.name, route.digest);
      break;
    case 'upload-start':
      if (method === 'POST') return startUpload(ctx, route.name);
      break;
    case 'upload':
      if (method === 'PATCH') return patchUpload(ctx, route.name, route.uuid);
      if (method === 'PUT') return finishUpload(ctx, route.name, route.uuid);
      if (method === 'GET') return uploadStatus(ctx, route.name, route.uuid);
      if (method === 'DELETE') return cancelUpload(ctx, route.name, route.uuid);
      break;
    default: {
      const never: never = route;
      return never;
    }
  }
  throw new RegistryError('UNSUPPORTED', `${method} is not supported on ${route.kind} endpoints`);
}

/** Spec errors pass through; kiln's input errors that share a spec code become one. */
function toRegistryError(e: unknown): RegistryError | undefined {
  if (isRegistryError(e)) return e;
  if (isKilnError(e)) {
    switch (e.code) {
      case 'DIGEST_INVALID':
      case 'NAME_INVALID':
      case 'TAG_INVALID':
      case 'MANIFEST_INVALID':
        return new RegistryError(e.code, e.message, { cause: e });
      default:
        return undefined;
    }
  }
  return undefined;
}
