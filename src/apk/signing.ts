import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.ts';
import type { TarEntry } from './tar.ts';

/** `RSA` signs with SHA-1 (every apk-tools 2.x reads it), `RSA256` with SHA-256 (apk-tools ≥ 2.12). */
export type ApkSignatureType = 'RSA' | 'RSA256';

/** A private key and the name apk finds its public half under in /etc/apk/keys. */
export type ApkSigningKey = { readonly privatePem: string; readonly keyName: string };

export type GeneratedApkSigningKey = ApkSigningKey & { readonly publicPem: string };

/** keyName (the public key file's basename) → public key PEM: what /etc/apk/keys holds. */
export type ApkKeyring = ReadonlyMap<string, string>;

const DIGEST: Readonly<Record<ApkSignatureType, string>> = { RSA: 'sha1', RSA256: 'sha256' };
const SIGN_PREFIX = '.SIGN.';
const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,200}$/;

export function assertKeyName(keyName: string): void {
  if (!KEY_NAME_PATTERN.test(keyName)) {
    throw new KilnError('KEY_INVALID', `key name ${JSON.stringify(keyName)}: expected a file name such as kiln-1a2b3c4d.rsa.pub (letters, digits, ".", "_", "@", "+", "-")`);
  }
}

/** `kiln-` + the first 8 hex digits of the SHA-256 of the public key, so a key always has one name. */
export function keyNameFor(publicPem: string, prefix = 'kiln'): string {
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return `${prefix}-${createHash('sha256').update(der).digest('hex').slice(0, 8)}.rsa.pub`;
}

/** A new RSA key pair in PEM (PKCS#8 private, SPKI public) with its key name. */
export function generateApkSigningKey(options: { readonly bits?: number; readonly prefix?: string } = {}): GeneratedApkSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: options.bits ?? 4096, publicExponent: 0x10001 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privatePem, publicPem, keyName: keyNameFor(publicPem, options.prefix) };
}

/** The public key PEM of a private key. */
export function publicPemOf(privatePem: string): string {
  return createPublicKey(loadPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }).toString();
}

function loadPrivateKey(pem: string): KeyObject {
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (e) {
    throw new KilnError('KEY_INVALID', `signing key: expected an RSA private key in PEM: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The entries of a signature tar: one `.SIGN.<type>.<keyName>` per type, each an RSA
 * PKCS#1 v1.5 signature over `signed` (the compressed control stream of a package, or
 * the compressed index stream of an APKINDEX). apk-tools uses the first entry whose
 * key it has, so the stronger type goes first.
 */
export function signatureEntries(signed: Uint8Array, key: ApkSigningKey, types: readonly ApkSignatureType[], mtime: number): TarEntry[] {
  assertKeyName(key.keyName);
  if (types.length === 0) throw new KilnError('USAGE', 'signature types: expected at least one of RSA, RSA256');
  const privateKey = loadPrivateKey(key.privatePem);
  return types.map((type) => ({
    name: `${SIGN_PREFIX}${type}.${key.keyName}`,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    uname: 'root',
    gname: 'root',
    mtime,
    content: sign(DIGEST[type], signed, privateKey),
  }));
}

export function isSignatureEntryName(name: string): boolean {
  return name.startsWith(SIGN_PREFIX);
}

/**
 * Checks `signed` against the signature entries the way apk-tools does: the first
 * entry of a known type whose key is in the keyring decides. Returns that key's name;
 * throws SIGNATURE_INVALID when no known key signed it or the signature is wrong.
 */
export function verifySignatureEntries(entries: readonly TarEntry[], signed: Uint8Array, keys: ApkKeyring, where: string): string {
  const seen: string[] = [];
  for (const e of entries) {
    const m = /^\.SIGN\.(RSA256|RSA)\.(.+)$/.exec(e.name);
    if (!m) continue;
    const type = m[1] as ApkSignatureType;
    const keyName = m[2] ?? '';
    seen.push(keyName);
    const pem = keys.get(keyName);
    if (pem === undefined) continue;
    let ok: boolean;
    try {
      ok = verify(DIGEST[type], signed, createPublicKey(pem), e.content ?? new Uint8Array());
    } catch (err) {
      throw new KilnError('KEY_INVALID', `${where}: public key ${keyName}: ${(err as Error).message}`, { cause: err });
    }
    if (!ok) throw new KilnError('SIGNATURE_INVALID', `${where}: the ${type} signature by ${keyName} does not match the signed content`);
    return keyName;
  }
  if (seen.length === 0) throw new KilnError('SIGNATURE_INVALID', `${where}: no .SIGN.RSA or .SIGN.RSA256 signature`);
  const known = [...keys.keys()].sort();
  throw new KilnError('SIGNATURE_INVALID', `${where}: signed by unknown key ${[...new Set(seen)].join(', ')}; trusted keys: ${known.length ? known.join(', ') : '(none)'}`);
}

/** Reads a keys directory (like /etc/apk/keys): every `*.pub` file, named by its basename. */
export async function loadApkKeys(dir: string): Promise<ApkKeyring> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new KilnError('NOT_FOUND', `keys directory ${dir}: ${(e as Error).message}`, { cause: e });
  }
  const keys = new Map<string, string>();
  for (const name of names.filter((n) => n.endsWith('.pub')).sort()) {
    const pem = await readFile(join(dir, name), 'utf8');
    try {
      createPublicKey(pem);
    } catch (e) {
      throw new KilnError('KEY_INVALID', `${join(dir, name)}: expected a public key in PEM: ${(e as Error).message}`, { cause: e });
    }
    keys.set(name, pem);
  }
  return keys;
}
