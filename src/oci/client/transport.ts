import { KilnError, isKilnError } from '../../errors/index.ts';
import { isLoopbackHost } from '../reference.ts';
import { Authenticator } from './auth.ts';
import type { Credentials } from './docker-config.ts';
import { drain, header, readBody, sendHttp, type HttpBody, type HttpMethod, type HttpResponse } from './http.ts';
import { networkError, registryError, type Operation } from './registry-error.ts';
import { DEFAULT_RETRY, isConnectionError, isRetryableStatus, retryDelay, sleepFor, type RetryPolicy } from './retry.ts';

export type RegistryClientOptions = {
  /** `host[:port]`, as in a reference. */
  readonly host: string;
  /** Plain HTTP for a non-loopback host (loopback hosts always use plain HTTP). */
  readonly insecure?: boolean;
  /** HTTPS without certificate verification. */
  readonly tlsVerify?: boolean;
  readonly credentials?: Credentials;
  readonly retry?: Partial<RetryPolicy>;
  /** When set, blobs are uploaded in PATCH chunks of this many bytes; else in one PUT. */
  readonly chunkSize?: number;
  /** Blobs up to this size (given as bytes) go in a single POST `?digest=`. */
  readonly singlePostMax?: number;
  /** Times a broken blob download is resumed with a Range request. */
  readonly maxResumes?: number;
  /** Milliseconds of silence on a connection before it is given up. */
  readonly idleTimeoutMs?: number;
};

export type RequestSpec = {
  readonly method: HttpMethod;
  /** `/v2/…` (with any query), or an absolute URL from a Location or Link header. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: HttpBody;
  /** Token scopes the request needs, e.g. `repository:app:pull`. */
  readonly scopes: readonly string[];
  readonly operation: Operation;
  /** Statuses returned to the caller; any other becomes a RegistryError. */
  readonly ok: readonly number[];
};

const ERROR_BODY_LIMIT = 64 * 1024;
/** Registries send blob GETs to object storage or a CDN with these. */
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * Requests against one registry host with authorization and retries. Requests whose
 * body is bytes (or absent) are retried on 429, 5xx and broken connections and re-sent
 * once after a 401 challenge; a streamed body is sent once.
 */
export class Transport {
  readonly host: string;
  readonly base: URL;
  readonly options: RegistryClientOptions;
  readonly retry: RetryPolicy;
  readonly idleTimeoutMs: number;
  readonly auth: Authenticator;

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.options = options;
    const plain = options.insecure === true || isLoopbackHost(options.host);
    try {
      this.base = new URL(`${plain ? 'http' : 'https'}://${apiHost(options.host)}`);
    } catch (cause) {
      throw new KilnError('REFERENCE_INVALID', `${JSON.stringify(options.host)} is not a registry host`, { cause });
    }
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.auth = new Authenticator(options.host, options.credentials, this.idleTimeoutMs);
  }

  url(path: string): URL {
    return new URL(path, this.base);
  }

  async request(spec: RequestSpec): Promise<HttpResponse> {
    const replayable = spec.body === undefined || spec.body instanceof Uint8Array;
    let scopes = spec.scopes;
    let attempt = 0;
    let reauthorized = false;
    let url = this.url(spec.path);
    let redirects = 0;
    for (;;) {
      // credentials go to the registry only, never to where it redirects (a CDN, object storage)
      const authorization = url.origin === this.base.origin ? await this.auth.authorization(scopes) : undefined;
      let res: HttpResponse;
      try {
        res = await sendHttp({
          method: spec.method,
          url,
          headers: {
            'user-agent': 'kiln/0.1',
            ...spec.headers,
            ...(authorization !== undefined && { authorization }),
          },
          ...(spec.body !== undefined && { body: spec.body }),
          idleTimeoutMs: this.idleTimeoutMs,
          ...(this.options.tlsVerify === false && { rejectUnauthorized: false }),
        });
      } catch (e) {
        // a streamed body that failed its own check (DIGEST_MISMATCH from a source) keeps its code
        if (isKilnError(e)) throw e;
        if (replayable && isConnectionError(e) && attempt < this.retry.retries) {
          attempt++;
          await sleepFor(this.retry, retryDelay(this.retry, attempt, undefined));
          continue;
        }
        throw networkError(spec.operation, e);
      }
      const location = header(res, 'location');
      if (REDIRECTS.has(res.status) && location !== undefined && (spec.method === 'GET' || spec.method === 'HEAD')) {
        await drain(res);
        if (++redirects > MAX_REDIRECTS) throw registryError(spec.operation, res.status, Buffer.from(`more than ${MAX_REDIRECTS} redirects`));
        url = new URL(location, url);
        continue;
      }
      if (res.status === 401 && !reauthorized) {
        await drain(res);
        const retryScopes = await this.auth.challenged(header(res, 'www-authenticate'), scopes, authorization);
        // a streamed body is gone; what was learnt serves the next request
        if (retryScopes !== undefined && replayable) {
          reauthorized = true;
          scopes = retryScopes;
          continue;
        }
        throw registryError(spec.operation, 401, undefined);
      }
      if (replayable && isRetryableStatus(res.status) && attempt < this.retry.retries) {
        await drain(res);
        attempt++;
        const wait = retryDelay(this.retry, attempt, header(res, 'retry-after'));
        await sleepFor(this.retry, wait);
        continue;
      }
      if (spec.ok.includes(res.status)) return res;
      let body: Buffer | undefined;
      try {
        body = spec.method === 'HEAD' ? undefined : await readBody(res, ERROR_BODY_LIMIT);
      } catch {
        body = undefined;
      }
      throw registryError(spec.operation, res.status, body);
    }
  }
}

/** Docker Hub is named docker.io in references but answers the API at registry-1.docker.io. */
function apiHost(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host;
}
