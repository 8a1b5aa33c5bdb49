import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';

/** A user name and password (or identity token as password) for one registry. */
export type Credentials = { readonly username: string; readonly password: string };

/** Registry host (`host[:port]`) → credentials. */
export type CredentialStore = ReadonlyMap<string, Credentials>;

/**
 * The `auths` section shared by docker's config.json and containers' auth.json:
 * `{ "auths": { "HOST": { "auth": base64("user:pass") } | { "username", "password" } } }`.
 * Other sections (credHelpers, credsStore, proxies…) are ignored: kiln runs no helpers.
 */
const AuthEntry = z.looseObject({
  auth: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});
const ConfigFile = z.looseObject({ auths: z.record(z.string(), AuthEntry).optional() });

/** Parses config.json text; `where` names the file in messages. */
export function parseDockerConfig(text: string, where: string): CredentialStore {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KilnError('CONFIG_INVALID', `${where}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const r = ConfigFile.safeParse(json);
  if (!r.success) throw new KilnError('CONFIG_INVALID', `${where}: ${describeZodIssues(r.error)}`);
  const store = new Map<string, Credentials>();
  for (const [key, entry] of Object.entries(r.data.auths ?? {})) {
    const creds = entryCredentials(entry, `${where}: auths[${JSON.stringify(key)}]`);
    if (creds) store.set(normalizeRegistryKey(key), creds);
  }
  return store;
}

function entryCredentials(entry: z.infer<typeof AuthEntry>, where: string): Credentials | undefined {
  if (entry.auth !== undefined && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new KilnError('CONFIG_INVALID', `${where}.auth: expected base64 of "user:password", found no colon after decoding`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  return undefined;
}

/** `https://index.docker.io/v1/`, `http://host:5000`, `host:5000/some/path` → `host:5000`. */
export function normalizeRegistryKey(key: string): string {
  const bare = key.replace(/^[a-z]+:\/\//i, '');
  const slash = bare.indexOf('/');
  return (slash >= 0 ? bare.slice(0, slash) : bare).toLowerCase();
}

export type CredentialSearch = {
  /** An explicit file; when given, only it is read (and it must exist). */
  readonly path?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
};

/** Where credentials are looked for when no explicit file is given, first match per host winning. */
export function credentialFileCandidates(search: CredentialSearch = {}): string[] {
  const env = search.env ?? process.env;
  const home = search.home ?? homedir();
  const out: string[] = [];
  if (env['REGISTRY_AUTH_FILE']) out.push(env['REGISTRY_AUTH_FILE']);
  out.push(join(env['DOCKER_CONFIG'] || join(home, '.docker'), 'config.json'));
  if (env['XDG_RUNTIME_DIR']) out.push(join(env['XDG_RUNTIME_DIR'], 'containers', 'auth.json'));
  return out;
}

/** Loads credentials from an explicit file, or merges the usual places (missing files are skipped). */
export async function loadCredentials(search: CredentialSearch = {}): Promise<CredentialStore> {
  if (search.path !== undefined) {
    let text: string;
    try {
      text = await readFile(search.path, 'utf8');
    } catch (cause) {
      throw new KilnError('NOT_FOUND', `registry credentials file ${search.path} cannot be read`, { cause });
    }
    return parseDockerConfig(text, search.path);
  }
  const merged = new Map<string, Credentials>();
  for (const path of credentialFileCandidates(search)) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    for (const [host, creds] of parseDockerConfig(text, path)) if (!merged.has(host)) merged.set(host, creds);
  }
  return merged;
}

/** Credentials for a registry host; Docker Hub is filed under several names. */
export function credentialsFor(store: CredentialStore, host: string): Credentials | undefined {
  const key = host.toLowerCase();
  const found = store.get(key);
  if (found) return found;
  if (key === 'docker.io' || key === 'registry-1.docker.io') return store.get('index.docker.io') ?? store.get('docker.io');
  return undefined;
}
