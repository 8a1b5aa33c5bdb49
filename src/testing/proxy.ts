import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyOptions = {
  /** `http://host:port` the proxy forwards to. */
  readonly target: string;
  /**
   * Sees each request first; returns true when it has answered it itself (e.g. a 401
   * demanding a token), false to forward it.
   */
  readonly intercept?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /**
   * For a forwarded response: a byte count after which the connection is cut
   * (headers and that many body bytes reach the client, then the socket is destroyed).
   */
  readonly cutAfter?: (req: http.IncomingMessage, status: number) => number | undefined;
};

export type RunningProxy = {
  readonly host: string;
  readonly url: string;
  /** Requests seen, as `METHOD path` plus the Range header when there was one. */
  readonly log: string[];
  close(): Promise<void>;
};

/**
 * A small HTTP proxy on a free loopback port, for tests that need to stand between the
 * client and a real registry: to demand auth, or to break a connection mid-body. The
 * Host header is passed through, so Location headers the registry writes point back at
 * the proxy.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const target = new URL(options.target);
  const log: string[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    log.push(`${req.method} ${req.url}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    if (options.intercept?.(req, res)) return;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        const cut = options.cutAfter?.(req, up.statusCode ?? 0);
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (cut === undefined) {
          up.pipe(res);
          return;
        }
        let sent = 0;
        up.on('data', (chunk: Buffer) => {
          if (sent >= cut) return;
          const part = chunk.subarray(0, cut - sent);
          sent += part.length;
          res.write(part);
          if (sent >= cut) {
            up.destroy();
            // let the bytes already written leave before the reset
            setTimeout(() => res.socket?.destroy(), 20);
          }
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    log,
    async close() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
