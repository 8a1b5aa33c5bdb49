import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KilnError } from '../../errors/index.ts';

/** A loaded image signing key: ECDSA P-256, as cosign's `cosign generate-key-pair` makes. */
export type ImageSigningKey = {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The key's hint: hex SHA-256 of its SPKI DER (what bundles name it by). */
  readonly keyId: string;
};

export type ImageVerificationKey = { readonly publicKey: KeyObject; readonly keyId: string };

export type GeneratedImageSigningKey = {
  /** PKCS#8 PEM; `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2 + AES-256-CBC) when a passphrase was given. */
  readonly privatePem: string;
  /** SPKI PEM, what `cosign verify --key` and `kiln verify --key` read. */
  readonly publicPem: string;
  readonly keyId: string;
};

export function generateImageSigningKey(options: { readonly passphrase?: string } = {}): GeneratedImageSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privatePem = privateKey
    .export({
      type: 'pkcs8',
      format: 'pem',
      ...(options.passphrase !== undefined && { cipher: 'aes-256-cbc', passphrase: options.passphrase }),
    })
    .toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privatePem, publicPem, keyId: keyIdOf(publicKey) };
}

/** Hex SHA-256 of the SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Parses a private key PEM; a wrong or missing passphrase and a non-P-256 key are KEY_INVALID. */
export function parseSigningKey(pem: string, where: string, passphrase?: string): ImageSigningKey {
  if (!/-----BEGIN (?:ENCRYPTED |EC )?PRIVATE KEY-----/.test(pem)) {
    throw new KilnError('KEY_INVALID', `${where}: expected a PEM private key (BEGIN PRIVATE KEY or BEGIN ENCRYPTED PRIVATE KEY)`);
  }
  const encrypted = pem.includes('BEGIN ENCRYPTED PRIVATE KEY');
  if (encrypted && passphrase === undefined) {
    throw new KilnError('KEY_INVALID', `${where}: the key is encrypted; give its passphrase (--passphrase-file)`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem', ...(passphrase !== undefined && { passphrase }) });
  } catch (cause) {
    const why = encrypted ? 'the passphrase is wrong or the key is damaged' : `not a readable private key (${(cause as Error).message})`;
    throw new KilnError('KEY_INVALID', `${where}: ${why}`, { cause });
  }
  assertP256(privateKey, where);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export function parseVerificationKey(pem: string, where: string): ImageVerificationKey {
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) {
    throw new KilnError('KEY_INVALID', `${where}: expected a PEM public key (BEGIN PUBLIC KEY)`);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(pem);
  } catch (cause) {
    throw new KilnError('KEY_INVALID', `${where}: not a readable public key (${(cause as Error).message})`, { cause });
  }
  assertP256(publicKey, where);
  return { publicKey, keyId: keyIdOf(publicKey) };
}

export async function loadSigningKey(path: string, options: { readonly passphrase?: string; readonly passphraseFile?: string } = {}): Promise<ImageSigningKey> {
  const passphrase = options.passphrase ?? (options.passphraseFile !== undefined ? (await readText(options.passphraseFile, 'passphrase file')).replace(/\r?\n$/, '') : undefined);
  return parseSigningKey(await readText(path, 'signing key'), path, passphrase);
}

export async function loadVerificationKey(path: string): Promise<ImageVerificationKey> {
  return parseVerificationKey(await readText(path, 'public key'), path);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new KilnError('KEY_INVALID', `${what} ${path}: cannot read it (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
}

function assertP256(key: KeyObject, where: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new KilnError('KEY_INVALID', `${where}: expected an ECDSA P-256 key, found ${key.asymmetricKeyType ?? 'unknown'}${curve !== undefined ? ` (${curve})` : ''}`);
  }
}
