import { createHash, timingSafeEqual } from 'node:crypto';
import { compare } from 'bcryptjs';
import { Lru } from './lru.ts';

/**
 * Who may push. Pulls are anonymous unless `anonymousPull` is false. Passwords are
 * bcrypt hashes (as in an htpasswd file); tokens are compared as SHA-256 digests in
 * constant time, so neither their value nor their length leaks through timing.
 */
export type RegistryAuth = {
  /** user → bcrypt hash (`$2y$`, `$2b$` or `$2a$`). */
  readonly users?: Readonly<Record<string, string>>;
  /** Static bearer tokens (`Authorization: Bearer <token>`). */
  readonly tokens?: readonly string[];
  /** Default true: anyone may pull. */
  readonly anonymousPull?: boolean;
};

export type AuthResult = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly reason: string };

/** How long a bcrypt verdict is remembered: long enough that a push storm costs one bcrypt. */
const VERDICT_TTL_MS = 60_000;

export class Authenticator {
  readonly #users: ReadonlyMap<string, string>;
  readonly #tokens: readonly Buffer[];
  readonly anonymousPull: boolean;
  /** Keyed by a hash of user, password and stored hash, so no password sits in memory. */
  readonly #verdicts = new Lru<string, { readonly ok: Promise<boolean>; readonly until: number }>(1000);

  constructor(auth: RegistryAuth) {
    this.#users = new Map(Object.entries(auth.users ?? {}).map(([u, h]) => [u, h.replace(/^\$2y\$/, '$2b$')]));
    this.#tokens = (auth.tokens ?? []).map(sha256);
    this.anonymousPull = auth.anonymousPull ?? true;
  }

  async check(header: string | undefined): Promise<AuthResult> {
    if (header === undefined) return { ok: false, reason: 'authentication required' };
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return this.#checkToken(value);
    if (scheme === 'basic') return this.#checkBasic(value);
    return { ok: false, reason: 'unsupported authorization scheme' };
  }

  #checkToken(token: string): AuthResult {
    const given = sha256(token);
    // compare against every token, so the time does not tell which one matched
    let ok = false;
    for (const t of this.#tokens) ok = timingSafeEqual(t, given) || ok;
    return ok ? { ok: true, user: 'token' } : { ok: false, reason: 'invalid token' };
  }

  async #checkBasic(encoded: string): Promise<AuthResult> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'malformed basic credentials' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.#users.get(user);
    if (hash === undefined) return { ok: false, reason: 'invalid username or password' };
    const key = sha256(`${user}\0${password}\0${hash}`).toString('hex');
    const now = Date.now();
    let verdict = this.#verdicts.get(key);
    if (verdict === undefined || verdict.until <= now) {
      // the promise itself is cached: fifty pushes that arrive at once share one bcrypt
      verdict = { ok: compare(password, hash).catch(() => false), until: now + VERDICT_TTL_MS };
      this.#verdicts.set(key, verdict);
    }
    const ok = await verdict.ok;
    return ok ? { ok: true, user } : { ok: false, reason: 'invalid username or password' };
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
