import { setTimeout as delay } from 'node:timers/promises';

/**
 * Bounded retries with exponential backoff and jitter, for what a registry under
 * load answers (429, 5xx) and for connections that break. Jitter keeps 50 clients that
 * failed together from coming back together.
 */
export type RetryPolicy = {
  /** Retries after the first attempt; 0 disables retrying. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** The longest `Retry-After` honoured; a registry asking for more gets an error instead. */
  readonly maxRetryAfterMs: number;
  /** Injected by tests to observe delays without waiting them. */
  readonly sleep?: (ms: number) => Promise<void>;
};

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 200, maxDelayMs: 5000, maxRetryAfterMs: 60_000 };

const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

const CONNECTION_ERRORS: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/** A broken connection (reset, hung up, timed out) as opposed to a refused one or a bug. */
export function isConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return true;
  const message = (e as { message?: unknown }).message;
  return message === 'aborted' || message === 'socket hang up';
}

/**
 * Milliseconds to wait before retry number `attempt` (1-based): the server's
 * `Retry-After` when it sent one, else a random delay up to base·2^(attempt-1).
 */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfter: string | undefined, now = Date.now()): number {
  const asked = parseRetryAfter(retryAfter, now);
  if (asked !== undefined) return Math.min(asked, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** `Retry-After` is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*[0-9]+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function sleepFor(policy: RetryPolicy, ms: number): Promise<void> {
  return policy.sleep ? policy.sleep(ms) : delay(ms);
}
