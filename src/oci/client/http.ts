import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

/**
 * The one place that talks HTTP. node:http rather than fetch: request and response
 * bodies stay Node streams (so they pipe straight into a VerifyingStream or a file),
 * Content-Length is ours to set (no chunked encoding for uploads of known size), and a
 * keep-alive agent per scheme lets concurrent requests share warm connections.
 */

const AGENT_OPTIONS = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 256, maxFreeSockets: 256, scheduling: 'lifo' } as const;
const httpAgent = new http.Agent(AGENT_OPTIONS);
const httpsAgent = new https.Agent(AGENT_OPTIONS);

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** A request body: bytes (replayable, so the request may be retried) or a one-shot stream. */
export type HttpBody = Uint8Array | Readable;

export type HttpRequest = {
  readonly method: HttpMethod;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: HttpBody;
  /** Milliseconds without any socket activity before the request fails. */
  readonly idleTimeoutMs: number;
  /** TLS: accept any certificate (only with `insecure`). */
  readonly rejectUnauthorized?: boolean;
};

export type HttpResponse = {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: http.IncomingMessage;
};

/** Sends a request and resolves when the response head arrives; the body is left to the caller. */
export function sendHttp(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const secure = req.url.protocol === 'https:';
    const headers: Record<string, string> = { ...req.headers };
    if (req.body instanceof Uint8Array) headers['content-length'] = String(req.body.length);
    else if (req.body === undefined && (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH')) {
      headers['content-length'] = '0';
    }
    const options: https.RequestOptions = {
      method: req.method,
      agent: secure ? httpsAgent : httpAgent,
      headers,
      ...(secure && req.rejectUnauthorized === false && { rejectUnauthorized: false, agent: insecureAgent() }),
    };
    const request = (secure ? https : http).request(req.url, options, (res) => {
      // A body that breaks before its reader starts must not crash the process; the
      // error stays on the stream and reaches whoever reads it.
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
    });
    request.setTimeout(req.idleTimeoutMs, () => {
      request.destroy(Object.assign(new Error(`no response activity for ${req.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    const body = req.body;
    request.on('error', (e) => {
      // a streamed body (say, a blob coming from another registry) goes down with the request
      if (body !== undefined && !(body instanceof Uint8Array)) body.destroy();
      reject(e);
    });
    if (body === undefined) request.end();
    else if (body instanceof Uint8Array) request.end(body);
    else {
      body.on('error', (e) => request.destroy(e));
      body.pipe(request);
    }
  });
}

let insecure: https.Agent | undefined;
function insecureAgent(): https.Agent {
  insecure ??= new https.Agent({ ...AGENT_OPTIONS, rejectUnauthorized: false });
  return insecure;
}

/** Reads a whole (small) body, failing once it grows past `limit` bytes. */
export async function readBody(res: HttpResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      throw Object.assign(new Error(`response body is larger than ${limit} bytes`), { code: 'EBODYTOOLARGE' });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads and discards a body so that the connection goes back to the pool. */
export async function drain(res: HttpResponse): Promise<void> {
  if (res.body.readableEnded) return;
  try {
    for await (const _ of res.body) {
      // discard
    }
  } catch {
    // a broken body of a response we do not need is not worth an error
  }
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

