import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import type { Credentials } from './docker-config.ts';
import { readBody, sendHttp } from './http.ts';

/** One `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"`. */
export type Challenge = { readonly scheme: string; readonly params: Readonly<Record<string, string>> };

/**
 * Parses a `WWW-Authenticate` header (RFC 7235): one or more challenges, each a scheme
 * and comma-separated `key=value` or `key="quoted, value"` parameters. Scheme names are
 * lowercased; parameter names too.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skip = (chars: string): void => {
    while (i < n && chars.includes(header[i] ?? '')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && !' \t,="'.includes(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skip(' \t,');
    const word = token();
    if (word === '') break;
    skip(' \t');
    if (header[i] === '=' && out.length > 0) {
      i++;
      skip(' \t');
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else value = token();
      const current = out[out.length - 1];
      if (current) current.params[word.toLowerCase()] = value;
    } else {
      out.push({ scheme: word.toLowerCase(), params: {} });
    }
  }
  return out;
}

const TokenResponse = z.looseObject({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
});

/** How long a token lives when the server does not say (the token spec's default). */
const DEFAULT_TOKEN_LIFETIME_S = 60;
const TOKEN_MARGIN_MS = 5000;

type CachedToken = { readonly token: string; readonly expiresAt: number };

/**
 * Authorization for one registry host: nothing until the registry asks; then basic
 * credentials, or bearer tokens fetched from the challenge's realm and cached per set of
 * scopes. Once a realm is known, tokens for new scopes are fetched before the request, so
 * that streamed uploads (which cannot be re-sent) go out authorized. Concurrent requests
 * for the same scopes share one token request.
 */
export class Authenticator {
  readonly host: string;
  readonly #credentials: Credentials | undefined;
  readonly #idleTimeoutMs: number;
  #scheme: 'none' | 'basic' | 'bearer' = 'none';
  #realm: { readonly realm: string; readonly service: string | undefined } | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(host: string, credentials: Credentials | undefined, idleTimeoutMs = 30_000) {
    this.host = host;
    this.#credentials = credentials;
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  /** The Authorization header to send for a request needing `scopes`, if any is known to be needed. */
  async authorization(scopes: readonly string[]): Promise<string | undefined> {
    if (this.#scheme === 'basic') return this.#basic();
    if (this.#scheme !== 'bearer') return undefined;
    return `Bearer ${await this.#token(scopes)}`;
  }

  /**
   * Learns from a 401. Returns the scopes to retry with when new authorization may
   * succeed, or undefined when the same credentials were already refused.
   */
  async challenged(
    header: string | undefined,
    scopes: readonly string[],
    sentAuthorization: string | undefined,
  ): Promise<readonly string[] | undefined> {
    const challenges = parseChallenges(header ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params['realm']) {
      this.#scheme = 'bearer';
      this.#realm = { realm: bearer.params['realm'], service: bearer.params['service'] };
      const wanted = [...scopes, ...(bearer.params['scope'] ? [bearer.params['scope']] : [])];
      const key = scopeKey(wanted);
      const cached = this.#tokens.get(key);
      if (cached && sentAuthorization === `Bearer ${cached.token}`) {
        // the token we just sent was refused: drop it and try a fresh one once
        this.#tokens.delete(key);
      }
      await this.#token(wanted);
      // a fresh token for exactly what the registry asked for; worth one retry
      return wanted;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.#credentials) {
      if (this.#scheme === 'basic' && sentAuthorization !== undefined) return undefined;
      this.#scheme = 'basic';
      return scopes;
    }
    return undefined;
  }

  #basic(): string | undefined {
    const c = this.#credentials;
    return c ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
  }

  async #token(scopes: readonly string[]): Promise<string> {
    const key = scopeKey(scopes);
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > Date.now()) return cached.token;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const request = this.#fetchToken(key).finally(() => this.#pending.delete(key));
    this.#pending.set(key, request);
    return request;
  }

  async #fetchToken(key: string): Promise<string> {
    const realm = this.#realm;
    if (!realm) throw new KilnError('UNAUTHORIZED', `${this.host}: a bearer token is needed but no realm is known`);
    let url: URL;
    try {
      url = new URL(realm.realm);
    } catch (cause) {
      throw new KilnError('UNAUTHORIZED', `${this.host}: token realm ${JSON.stringify(realm.realm)} is not a URL`, { cause });
    }
    if (realm.service !== undefined) url.searchParams.set('service', realm.service);
    for (const scope of key === '' ? [] : key.split(' ')) url.searchParams.append('scope', scope);
    const basic = this.#basic();
    const where = `token from ${url.origin}${url.pathname} for ${this.host} (scope ${key || 'none'})`;
    let body: Buffer;
    let status: number;
    try {
      const res = await sendHttp({
        method: 'GET',
        url,
        headers: { accept: 'application/json', ...(basic !== undefined && { authorization: basic }) },
        idleTimeoutMs: this.#idleTimeoutMs,
      });
      status = res.status;
      body = await readBody(res, 1024 * 1024);
    } catch (cause) {
      throw new KilnError('NETWORK', `${where}: ${(cause as Error).message}`, { cause });
    }
    if (status !== 200) {
      throw new KilnError('UNAUTHORIZED', `${where}: HTTP ${status} ${JSON.stringify(body.toString('utf8', 0, 200))}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (cause) {
      throw new KilnError('UNAUTHORIZED', `${where}: the answer is not JSON`, { cause });
    }
    const r = TokenResponse.safeParse(json);
    if (!r.success) throw new KilnError('UNAUTHORIZED', `${where}: ${describeZodIssues(r.error)}`);
    const token = r.data.token ?? r.data.access_token;
    if (!token) throw new KilnError('UNAUTHORIZED', `${where}: the answer has neither "token" nor "access_token"`);
    const lifetimeMs = (r.data.expires_in ?? DEFAULT_TOKEN_LIFETIME_S) * 1000;
    this.#tokens.set(key, { token, expiresAt: Date.now() + Math.max(lifetimeMs - TOKEN_MARGIN_MS, lifetimeMs / 2) });
    return token;
  }
}

/** Scopes as one cache key: deduplicated and sorted, so the same set always hits the same entry. */
function scopeKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}

/** The scope a request on a repository needs. */
export function repositoryScope(repository: string, actions: 'pull' | 'pull,push' | 'delete' | '*'): string {
  return `repository:${repository}:${actions}`;
}
