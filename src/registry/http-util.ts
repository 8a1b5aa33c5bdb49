import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { RegistryError } from './errors.ts';
import type { ByteRange } from './storage.ts';

/** Bodies up to this size are drained after an early error, to keep the connection usable. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export function send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body?: string | Buffer): void {
  const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  // RFC 9110: no Content-Length on a 204
  res.writeHead(status, status === 204 ? headers : { ...headers, 'Content-Length': length });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: OutgoingHttpHeaders = {}): void {
  send(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify(value));
}

/**
 * Answers after an error. When the request body was not read to its end, it is
 * drained first if it is small (so the client, still sending, reads our answer and
 * keeps its connection); past DRAIN_LIMIT the connection is closed after the answer.
 */
export function respondAfterBody(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  if (req.complete || req.readableEnded || req.destroyed) {
    answer();
    return;
  }
  let answered = false;
  const once = (): void => {
    if (answered) return;
    answered = true;
    req.off('data', onData);
    answer();
  };
  const length = Number(req.headers['content-length']);
  if (Number.isFinite(length) && length > DRAIN_LIMIT) {
    res.setHeader('Connection', 'close');
    once();
    return;
  }
  let seen = 0;
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen > DRAIN_LIMIT) {
      res.setHeader('Connection', 'close');
      once();
    }
  };
  req.on('data', onData);
  req.once('end', once);
  req.once('error', once);
  req.resume();
}

/** Whether the request carries a body at all (so that an empty PUT does not wait for one). */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? '0');
  return Number.isFinite(length) && length > 0;
}

/** The declared Content-Length, or undefined; a malformed one is refused. */
export function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new RegistryError('SIZE_INVALID', `Content-Length ${JSON.stringify(raw)} is not a byte count`);
  return n;
}

/**
 * Reads a whole (small) body; over `limit` bytes is refused with 413 while reading.
 * Listeners rather than `for await`: leaving that loop early destroys the request, and
 * with it the socket the client waits on for our 413.
 */
export function readBody(req: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > limit) return Promise.reject(tooLarge(what, limit, String(declared)));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (b: Buffer): void => {
      size += b.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.pause();
        reject(tooLarge(what, limit, `more than ${limit}`));
        return;
      }
      chunks.push(b);
    };
    const onEnd = (): void => resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', (cause) => reject(new RegistryError('MANIFEST_INVALID', `the request body failed: ${cause.message}`, { cause })));
  });
}

function tooLarge(what: string, limit: number, found: string): RegistryError {
  return new RegistryError('SIZE_INVALID', `${what} may hold at most ${limit} bytes, found ${found}`, { status: 413 });
}

/**
 * Parses a single-range `Range: bytes=…` header against a blob of `size` bytes. A
 * header we do not understand (or several ranges) is ignored, as RFC 9110 allows;
 * a well-formed range outside the blob is 'unsatisfiable'.
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const [from, to] = [m[1] ?? '', m[2] ?? ''];
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Parses an upload's `Content-Range: <start>-<end>` (inclusive; `bytes ` prefix and a
 * `/total` suffix tolerated). A malformed one is refused with 416, as out-of-order is.
 */
export function parseUploadRange(header: string | undefined): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw new RegistryError('BLOB_UPLOAD_INVALID', `Content-Range ${JSON.stringify(header.slice(0, 80))}: expected <start>-<end>`, {
      status: 416,
    });
  }
  return { start, end };
}

/** `Range: 0-<last byte>` of an upload; `0-0` when empty, as distribution answers. */
export function uploadRange(size: number): string {
  return `0-${size > 0 ? size - 1 : 0}`;
}

/**
 * One page of a sorted listing: the items after `last`, at most `n` of them, and the
 * last item returned when more remain (for the `Link` header).
 */
export function paginate(
  items: readonly string[],
  query: URLSearchParams,
): { readonly page: readonly string[]; readonly n: number | undefined; readonly next: string | undefined } {
  const last = query.get('last');
  const rawN = query.get('n');
  const n = rawN !== null && /^\d{1,9}$/.test(rawN) ? Number(rawN) : undefined;
  const rest = last === null ? items : items.filter((i) => i > last);
  if (n === undefined) return { page: rest, n, next: undefined };
  const page = rest.slice(0, n);
  const more = n > 0 && rest.length > n;
  return { page, n, next: more ? page[page.length - 1] : undefined };
}

/** `Link: </v2/...?n=N&last=X>; rel="next"`. */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
