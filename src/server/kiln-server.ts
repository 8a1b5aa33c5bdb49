import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { KilnError } from '../errors/index.ts';
import { createRegistryHandler, type RegistryAuth, type RequestLogEntry } from '../registry/index.ts';
import type { KilnDatabase } from '../store/index.ts';
import { createApiHandler } from './api/create-api-handler.ts';
import type { CycleControl } from '../factory/queue/index.ts';

export type KilnServerOptions = {
  /** kiln's state directory; the registry keeps its blobs in `<state>/registry`. */
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  readonly auth?: RegistryAuth;
  readonly log?: (entry: RequestLogEntry) => void;
  /**
   * The history database; when given, the JSON API is served under `/api/v1/`. The
   * caller opened it and closes it (after close() here), since others may share it.
   */
  readonly database?: KilnDatabase;
  /** Called with an unexpected API error (a bug or a database failure) for the log. */
  readonly onApiError?: (error: unknown) => void;
  /** The factory's scheduler (kiln serve --config): serves `/api/v1/cycles`. */
  readonly cycles?: CycleControl;
};

export type RunningKilnServer = {
  readonly url: string;
  /** `HOST:PORT` for image references. */
  readonly registryHost: string;
  readonly stateDir: string;
  close(): Promise<void>;
};

/**
 * The one HTTP server of `kiln serve`: the OCI registry under `/v2/`, the history API
 * under `/api/v1/` (Hono, when a database is given), a health check, and (as later
 * modules arrive) the console. The registry stays a raw node handler: blobs stream
 * straight from disk without a Request/Response round trip.
 */
export async function startKilnServer(options: KilnServerOptions): Promise<RunningKilnServer> {
  const stateDir = resolve(options.stateDir);
  const storageDir = join(stateDir, 'registry');
  await mkdir(storageDir, { recursive: true });
  const registry = createRegistryHandler({
    storageDir,
    ...(options.auth && { auth: options.auth }),
    ...(options.log && { log: options.log }),
  });

  const api = options.database && createApiHandler(options.database, options.onApiError, options.cycles);

  const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 }, (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/v2' || path.startsWith('/v2/')) {
      registry(req, res);
      return;
    }
    if (path === '/api' || path.startsWith('/api/')) {
      if (api) api(req, res);
      else notFound(res, 'the API needs the history database, and this server was started without one');
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    notFound(res, `no such path: ${path.slice(0, 200)}`);
  });

  await new Promise<void>((done, fail) => {
    server.once('error', (cause: NodeJS.ErrnoException) =>
      fail(new KilnError('IO', `cannot listen on ${options.host}:${options.port}: ${cause.message}`, { cause })),
    );
    server.listen(options.port, options.host, () => done());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPort = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  return {
    url: `http://${hostPort}`,
    registryHost: hostPort,
    stateDir,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((e) => (e ? fail(e) : done()));
        server.closeIdleConnections();
      }),
  };
}

/** The API's error shape, for paths outside it too, so clients parse one thing. */
function notFound(res: ServerResponse, message: string): void {
  res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message } }));
}
