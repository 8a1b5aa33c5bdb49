import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KilnError, describeZodIssues } from '../errors/index.ts';
import type { RegistryAuth } from './auth.ts';

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

/** `user:$2y$…` lines, as `htpasswd -B` writes them; other hash kinds are refused by line. */
export function parseHtpasswd(text: string, where: string): Record<string, string> {
  const users: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (colon <= 0 || !BCRYPT.test(hash)) {
      // never echo the line: it holds a password hash
      throw new KilnError('CONFIG_INVALID', `${where}:${i + 1}: expected user:<bcrypt hash> (htpasswd -B); other hash kinds are not supported`);
    }
    users[user] = hash;
  });
  return users;
}

const AuthFileSchema = z
  .object({
    users: z.record(z.string().min(1), z.string().regex(BCRYPT, { message: 'expected a bcrypt hash ($2y$…)' })).optional(),
    tokens: z.array(z.string().min(16, { message: 'a token needs at least 16 characters' })).optional(),
    anonymousPull: z.boolean().optional(),
  })
  .strict();

/** A YAML or JSON file: `{ users: { name: bcrypt }, tokens: [...], anonymousPull: true }`. */
export function parseAuthFile(text: string, where: string): RegistryAuth {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new KilnError('CONFIG_INVALID', `${where}: not valid YAML or JSON`, { cause });
  }
  const r = AuthFileSchema.safeParse(doc ?? {});
  if (!r.success) throw new KilnError('CONFIG_INVALID', `${where}: ${describeZodIssues(r.error)}`);
  return r.data;
}

export type AuthFiles = {
  readonly authFile?: string;
  readonly htpasswd?: string;
  readonly tokenFile?: string;
  readonly anonymousPull?: boolean;
};

/** Merges the auth files named on the command line; undefined when none is given. */
export async function loadRegistryAuth(files: AuthFiles): Promise<RegistryAuth | undefined> {
  if (files.authFile === undefined && files.htpasswd === undefined && files.tokenFile === undefined) return undefined;
  const base = files.authFile !== undefined ? parseAuthFile(await read(files.authFile), files.authFile) : {};
  const users = { ...base.users, ...(files.htpasswd !== undefined ? parseHtpasswd(await read(files.htpasswd), files.htpasswd) : {}) };
  const tokens = [...(base.tokens ?? [])];
  if (files.tokenFile !== undefined) {
    const lines = (await read(files.tokenFile)).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    if (lines.length === 0) throw new KilnError('CONFIG_INVALID', `${files.tokenFile}: expected a token, found an empty file`);
    tokens.push(...lines);
  }
  return { users, tokens, anonymousPull: files.anonymousPull ?? base.anonymousPull ?? true };
}

async function read(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new KilnError('CONFIG_INVALID', `${path}: cannot read (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { cause });
  }
}
