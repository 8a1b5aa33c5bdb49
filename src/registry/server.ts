import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KilnError } from '../errors/index.ts';
import type { RegistryAuth } from './auth.ts';
import type { FsStorageOptions } from './fs-storage.ts';
import { createRegistryHandler, type RequestLogEntry } from './handler.ts';

export type StartRegistryOptions = {
  readonly storageDir: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 5000; 0 picks a free port. */
  readonly port?: number;
  readonly auth?: RegistryAuth;
  readonly storageOptions?: FsStorageOptions;
  readonly log?: (entry: RequestLogEntry) => void;
  readonly onInternalError?: (e: unknown) => void;
};

export type RunningRegistry = {
  /** `http://127.0.0.1:41234` */
  readonly url: string;
  /** `127.0.0.1:41234`, for image references. */
  readonly host: string;
  readonly port: number;
  readonly storageDir: string;
  close(): Promise<void>;
};

/** Starts the registry alone on its own HTTP server (paths other than `/v2/` are 404). */
export async function startRegistry(options: StartRegistryOptions): Promise<RunningRegistry> {
  const handler = createRegistryHandler({
    storageDir: options.storageDir,
    ...(options.storageOptions && { storageOptions: options.storageOptions }),
    ...(options.auth && { auth: options.auth }),
    ...(options.log && { log: options.log }),
    ...(options.onInternalError && { onInternalError: options.onInternalError }),
  });
  const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 }, handler);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new KilnError('IO', `cannot listen on ${host}:${options.port ?? 5000}: ${cause.message}`, { cause })));
    server.listen(options.port ?? 5000, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url: `http://${hostPort}`,
    host: hostPort,
    port,
    storageDir: options.storageDir,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // idle keep-alive connections would hold close() open; in-flight requests are cut
        server.closeAllConnections();
      }),
  };
}
