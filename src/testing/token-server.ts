import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake bearer-token server (the docker token-auth flow) and the gate a proxy puts in
 * front of a real registry with it. Fakes stop at auth: the registry behind is real.
 */
export type TokenServer = {
  readonly realm: string;
  readonly service: string;
  /** One entry per token request: the scopes asked for, sorted, joined by a space. */
  readonly requests: string[];
  /** Whether `authorization` carries a token granting `scope`. */
  grants(authorization: string | undefined, scope: string): boolean;
  /** A proxy `intercept` that answers 401 + challenge unless the request carries a fitting token. */
  gate(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  close(): Promise<void>;
};

export type TokenServerOptions = {
  /** Demand these basic credentials on the token request. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Answer with `access_token` instead of `token`. */
  readonly accessTokenField?: boolean;
};

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const service = 'kiln-test-registry';
  const issued = new Map<string, ReadonlySet<string>>();
  const requests: string[] = [];
  let counter = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token' || url.searchParams.get('service') !== service) {
      res.writeHead(400).end();
      return;
    }
    if (options.credentials) {
      const expected = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
    }
    const scopes = url.searchParams.getAll('scope');
    requests.push([...scopes].sort().join(' '));
    const token = `tok-${++counter}`;
    issued.set(token, new Set(scopes.flatMap(expandScope)));
    const field = options.accessTokenField ? 'access_token' : 'token';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ [field]: token, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;

  const grants = (authorization: string | undefined, scope: string): boolean => {
    const m = /^Bearer (.+)$/.exec(authorization ?? '');
    const granted = m?.[1] !== undefined ? issued.get(m[1]) : undefined;
    if (!granted) return false;
    return scope === '' || expandScope(scope).every((s) => granted.has(s));
  };

  const gate = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const scope = requiredScope(req);
    if (grants(req.headers.authorization, scope)) return false;
    const challenge = `Bearer realm="${realm}",service="${service}"${scope ? `,scope="${scope}"` : ''}`;
    res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    return true;
  };

  return {
    realm,
    service,
    requests,
    grants,
    gate,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `repository:a:pull,push` → [`repository:a:pull`, `repository:a:push`]. */
function expandScope(scope: string): string[] {
  const last = scope.lastIndexOf(':');
  if (last < 0) return [scope];
  const base = scope.slice(0, last);
  return scope.slice(last + 1).split(',').map((action) => `${base}:${action}`);
}

/** The scope a distribution API request needs, from its path and method. */
function requiredScope(req: http.IncomingMessage): string {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (path === '/v2/' || path === '/v2') return '';
  if (path.startsWith('/v2/_catalog')) return 'registry:catalog:*';
  const m = /^\/v2\/(.+?)\/(blobs|manifests|tags|referrers)\//.exec(path);
  const name = m?.[1] ?? 'unknown';
  const write = req.method !== 'GET' && req.method !== 'HEAD';
  return `repository:${name}:${write ? 'pull,push' : 'pull'}`;
}
