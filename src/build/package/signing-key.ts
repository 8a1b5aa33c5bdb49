import { mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { generateApkSigningKey, type ApkSigningKey } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import { writeFileAtomic } from '../../files/index.ts';

export type LoadedSigningKey = ApkSigningKey & {
  readonly privatePath: string;
  /** Where the public half is (`<private>.pub`), when it exists or was just written. */
  readonly publicPath?: string;
  readonly generated: boolean;
};

/**
 * Reads an APK signing key: a PEM private key file. Its key name (what apk looks for
 * in /etc/apk/keys) is the file name plus `.pub`, as abuild and melange name them:
 * `me.rsa` signs as `me.rsa.pub`.
 */
export async function loadSigningKey(path: string): Promise<LoadedSigningKey> {
  let privatePem: string;
  try {
    privatePem = await readFile(path, 'utf8');
  } catch (e) {
    throw new KilnError('KEY_INVALID', `signing key ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!privatePem.includes('PRIVATE KEY')) throw new KilnError('KEY_INVALID', `signing key ${path}: expected a PEM private key`);
  const pub = `${path}.pub`;
  const hasPub = await readFile(pub).then(() => true, () => false);
  return { privatePem, keyName: `${basename(path)}.pub`, privatePath: path, ...(hasPub && { publicPath: pub }), generated: false };
}

/** Writes a new RSA key pair into `dir` as `kiln-XXXXXXXX.rsa` (mode 0600) and `.rsa.pub`. */
export async function generateSigningKeyFiles(dir: string): Promise<LoadedSigningKey> {
  const key = generateApkSigningKey();
  const pubName = key.keyName;
  const privatePath = join(dir, pubName.replace(/\.pub$/, ''));
  // only the keys directory is private: parents (often a new state dir) get the usual mode
  await mkdir(dirname(dir), { recursive: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(dir, pubName), key.publicPem);
  await writeFileAtomic(privatePath, key.privatePem, { mode: 0o600 });
  return { privatePem: key.privatePem, keyName: pubName, privatePath, publicPath: join(dir, pubName), generated: true };
}

/**
 * The key `kiln package build` signs with: `--key` when given; else the first
 * `*.rsa` in `<state>/keys` (sorted); else a new one generated there on first use.
 */
export async function ensureSigningKey(explicit: string | undefined, stateDir: string): Promise<LoadedSigningKey> {
  if (explicit !== undefined) return loadSigningKey(explicit);
  const dir = join(stateDir, 'keys');
  const existing = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.rsa')).sort();
  if (existing[0] !== undefined) return loadSigningKey(join(dir, existing[0]));
  return generateSigningKeyFiles(dir);
}

/** Like writeFileAtomic, but the file is 0600 from its first byte: a private key is never readable by others, not even briefly. */
