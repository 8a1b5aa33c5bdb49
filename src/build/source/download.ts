import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type IncomingMessage, get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError, isKilnError } from '../../errors/index.ts';
import { redactUrl } from './redact-url.ts';

export type DownloadProgress = {
  readonly url: string;
  readonly received: number;
  /** from Content-Length or the file size; undefined when the server did not say */
  readonly total: number | undefined;
};

export type DownloadOptions = {
  /** attempts after the first, for 5xx, 408, 429 and connection errors (default 4) */
  readonly retries?: number;
  /** first backoff in ms, doubled each retry (default 500) */
  readonly retryDelayMs?: number;
  /** refuse anything larger (default 4 GiB) */
  readonly maxBytes?: number;
  /** give up on a connection that sends nothing for this long (default 60 s) */
  readonly idleTimeoutMs?: number;
  readonly onProgress?: (p: DownloadProgress) => void;
  /** a line for the build log per retry */
  readonly onRetry?: (message: string) => void;
};

/** The outcome of one location: found (and consumed by the sink), or absent there. */
export type DownloadOutcome<T> = { readonly kind: 'found'; readonly value: T } | { readonly kind: 'absent'; readonly reason: string };

const DEFAULTS = { retries: 4, retryDelayMs: 500, maxBytes: 4 * 1024 ** 3, idleTimeoutMs: 60_000 };

/**
 * Downloads `url` (http, https, or file for mirrors) and hands the body to `sink`,
 * which must consume it (e.g. SourceCache.add). Retries with exponential backoff on
 * 5xx, 408, 429 and connection errors, including a connection dropped mid-body; the
 * sink is then called again with a fresh body, so it must be safe to repeat (the
 * cache's add is: a failed add leaves nothing). 404 and 410 are `absent`, so that a
 * mirror miss moves on to the next location. Other failures throw
 * SOURCE_FETCH_FAILED; a sink's KilnError (e.g. DIGEST_MISMATCH) is never retried.
 */
export async function download<T>(url: string, sink: (body: Readable) => Promise<T>, options: DownloadOptions = {}): Promise<DownloadOutcome<T>> {
  const o = { ...DEFAULTS, ...options };
  const shown = redactUrl(url);
  let lastError: unknown;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0) {
      const delay = o.retryDelayMs * 2 ** (attempt - 1);
      o.onRetry?.(`fetch: ${shown}: ${describe(lastError)}; retry ${attempt}/${o.retries} in ${delay} ms`);
      await sleep(delay);
    }
    try {
      return await attemptOnce(url, shown, sink, o);
    } catch (e) {
      if (!isRetryable(e)) throw e;
      lastError = e;
    }
  }
  throw new KilnError('SOURCE_FETCH_FAILED', `fetch ${shown}: gave up after ${o.retries + 1} attempts: ${describe(lastError)}`, { cause: lastError });
}

/** A transient failure: worth another attempt. */
class Transient extends Error {
  override readonly name = 'Transient';
}

function isRetryable(e: unknown): boolean {
  if (e instanceof Transient) return true;
  if (isKilnError(e)) return e.code === 'NETWORK';
  // the local disk, not the network: another attempt would fail the same way
  const code = (e as { code?: unknown }).code;
  if (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS' || code === 'EDQUOT') return false;
  // fetch() rejects with TypeError('fetch failed') on connection errors; a body
  // stream that breaks mid-way errors with ECONNRESET, UND_ERR_SOCKET, AbortError…
  return true;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? ` (${cause.message})` : '';
    return `${e.message}${detail}`;
  }
  return String(e);
}

type Resolved = typeof DEFAULTS & DownloadOptions;

async function attemptOnce<T>(url: string, shown: string, sink: (body: Readable) => Promise<T>, o: Resolved): Promise<DownloadOutcome<T>> {
  const parsed = new URL(url);
  if (parsed.protocol === 'file:') return fromFile(fileURLToPath(parsed), url, sink, o);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new KilnError('INPUT_INVALID', `fetch ${shown}: only http, https and file URLs are supported`);
  }
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(new Transient(`no data for ${o.idleTimeoutMs} ms`)), o.idleTimeoutMs);
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Transient(`no data for ${o.idleTimeoutMs} ms`)), o.idleTimeoutMs);
  };
  try {
    const res = await get(parsed, abort.signal, shown);
    const status = res.statusCode ?? 0;
    if (status === 404 || status === 410) {
      res.resume();
      return { kind: 'absent', reason: `${shown}: HTTP ${status}` };
    }
    if (status >= 500 || status === 408 || status === 429) {
      res.resume();
      throw new Transient(`HTTP ${status}`);
    }
    if (status !== 200) {
      res.resume();
      throw new KilnError('SOURCE_FETCH_FAILED', `fetch ${shown}: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
    }
    const length = res.headers['content-length'];
    const total = length !== undefined && /^[0-9]+$/.test(length) ? Number(length) : undefined;
    if (total !== undefined && total > o.maxBytes) res.destroy();
    tooLarge(total, o.maxBytes, shown);
    return { kind: 'found', value: await sink(forward(res, new Counter(shown, total, o, touch))) };
  } catch (e) {
    // the idle timer's reason says more than the socket's "aborted"
    if (abort.signal.aborted && abort.signal.reason instanceof Error) throw abort.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

const MAX_REDIRECTS = 10;

/**
 * GET with redirects (http and https only). node:http rather than fetch(): fetch
 * transparently decodes a body served with `Content-Encoding: gzip` (which some
 * servers claim for .tar.gz files), and the digest is over the bytes as published.
 */
async function get(url: URL, signal: AbortSignal, shown: string, redirects = 0): Promise<IncomingMessage> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsGet : httpGet;
    const req = request(url, { signal, headers: { 'user-agent': 'kiln', 'accept-encoding': 'identity' } }, resolve);
    req.on('error', (e) => reject(signal.aborted && signal.reason instanceof Error ? signal.reason : e));
  });
  const status = res.statusCode ?? 0;
  const location = res.headers.location;
  if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return res;
  res.resume();
  const next = new URL(location, url);
  if (redirects >= MAX_REDIRECTS) throw new KilnError('SOURCE_FETCH_FAILED', `fetch ${shown}: more than ${MAX_REDIRECTS} redirects`);
  if (next.protocol !== 'https:' && next.protocol !== 'http:') {
    throw new KilnError('SOURCE_FETCH_FAILED', `fetch ${shown}: redirected to a ${next.protocol} URL`);
  }
  return get(next, signal, shown, redirects + 1);
}

async function fromFile<T>(path: string, url: string, sink: (body: Readable) => Promise<T>, o: Resolved): Promise<DownloadOutcome<T>> {
  let total: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) return { kind: 'absent', reason: `${path}: not a regular file` };
    total = st.size;
  } catch {
    return { kind: 'absent', reason: `${path}: no such file` };
  }
  tooLarge(total, o.maxBytes, path);
  return { kind: 'found', value: await sink(forward(createReadStream(path), new Counter(url, total, o, () => {}))) };
}

/** `src.pipe(dst)`, but an error of `src` (a dropped connection) also ends `dst`. */
function forward(src: Readable, dst: Transform): Transform {
  src.on('error', (e) => dst.destroy(e));
  // The sink may still be setting up (creating its temp file) when the connection
  // breaks; without a listener that error would be uncaught. The sink's pipeline
  // still sees it: a stream destroyed with an error stays errored.
  dst.on('error', () => {});
  return src.pipe(dst);
}

function tooLarge(size: number | undefined, max: number, shown: string): void {
  if (size !== undefined && size > max) {
    throw new KilnError('SOURCE_FETCH_FAILED', `fetch ${shown}: ${size} bytes is more than the limit of ${max}`);
  }
}

/** Counts bytes for progress and the size cap, and keeps the idle timer alive. */
class Counter extends Transform {
  #received = 0;
  /** redacted: progress lines are printed */
  readonly #url: string;
  readonly #total: number | undefined;
  readonly #o: Resolved;
  readonly #touch: () => void;

  constructor(url: string, total: number | undefined, o: Resolved, touch: () => void) {
    super();
    this.#url = url;
    this.#total = total;
    this.#o = o;
    this.#touch = touch;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#received += chunk.length;
    this.#touch();
    if (this.#received > this.#o.maxBytes) {
      done(new KilnError('SOURCE_FETCH_FAILED', `fetch ${this.#url}: more than the limit of ${this.#o.maxBytes} bytes`));
      return;
    }
    this.#o.onProgress?.({ url: this.#url, received: this.#received, total: this.#total });
    done(null, chunk);
  }
}
