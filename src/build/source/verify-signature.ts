import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { KilnError } from '../../errors/index.ts';

/** A public key pinned beside a recipe, read and checked once. */
export type PinnedKey = { readonly file: string; readonly key: openpgp.Key };

export type SignatureCheck = {
  /** fingerprint of the primary key whose (sub)key made the signature */
  readonly fingerprint: string;
  readonly keyFile: string;
  readonly created: Date | null;
};

/** Reads armored or binary OpenPGP public keys from a file (one file may hold several). */
export async function readPinnedKeys(file: string): Promise<PinnedKey[]> {
  const bytes = await readFile(file);
  try {
    const keys = isArmored(bytes, 'PUBLIC KEY BLOCK')
      ? await openpgp.readKeys({ armoredKeys: bytes.toString('utf8') })
      : await openpgp.readKeys({ binaryKeys: bytes });
    if (keys.some((k) => k.isPrivate())) throw new Error('it holds a private key; pin only public keys');
    return keys.map((key) => ({ file, key }));
  } catch (e) {
    throw new KilnError('KEY_INVALID', `${file}: not an OpenPGP public key: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Verifies a detached OpenPGP signature (armored `.asc` or binary `.sig`) over a file,
 * streaming the file so a large tarball is not held in memory. Passes only when a
 * signature in it was made by one of `keys`; SIGNATURE_INVALID otherwise, naming the
 * signing key ID when it is not among the pinned ones. The file is trusted no further
 * than this answer: callers check it before extracting anything.
 */
export async function verifyDetachedSignature(
  file: string,
  signatureBytes: Uint8Array,
  keys: readonly PinnedKey[],
  where: string,
): Promise<SignatureCheck> {
  let signature: openpgp.Signature;
  try {
    signature = isArmored(signatureBytes, 'SIGNATURE')
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(signatureBytes).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: signatureBytes });
  } catch (e) {
    throw new KilnError('SIGNATURE_INVALID', `${where}: not an OpenPGP signature: ${(e as Error).message}`, { cause: e });
  }
  const issuers = signature.getSigningKeyIDs().map((id) => id.toHex());
  const known = keys.filter((k) => k.key.getKeyIDs().some((id) => issuers.includes(id.toHex())));
  const pinned = keys.map((k) => `${k.key.getFingerprint().toUpperCase()} (${k.file})`).join(', ');
  if (known.length === 0) {
    throw new KilnError(
      'SIGNATURE_INVALID',
      `${where}: signed by key ID ${issuers.map((i) => i.toUpperCase()).join(', ') || '(none named)'}, which is not among the pinned keys: ${pinned || '(none)'}`,
    );
  }
  const web = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
  const message = await openpgp.createMessage({ binary: web });
  const result = await openpgp.verify({ message, signature, verificationKeys: known.map((k) => k.key), format: 'binary' });
  // the digest is only known once the data has been read to its end
  const reader = (result.data as ReadableStream<Uint8Array>).getReader();
  for (;;) if ((await reader.read()).done) break;
  const failures: string[] = [];
  for (const s of result.signatures) {
    try {
      await s.verified;
      const keyId = s.keyID.toHex();
      const owner = known.find((k) => k.key.getKeyIDs().some((id) => id.toHex() === keyId));
      if (owner === undefined) continue;
      const created = (await s.signature).packets[0]?.created ?? null;
      return { fingerprint: owner.key.getFingerprint().toUpperCase(), keyFile: owner.file, created };
    } catch (e) {
      failures.push(`key ID ${s.keyID.toHex().toUpperCase()}: ${(e as Error).message}`);
    }
  }
  throw new KilnError('SIGNATURE_INVALID', `${where}: the signature does not verify against the pinned keys (${pinned}): ${failures.join('; ') || 'no signature in it'}`);
}

function isArmored(bytes: Uint8Array, kind: string): boolean {
  return Buffer.from(bytes.subarray(0, 200)).toString('latin1').includes(`-----BEGIN PGP ${kind}-----`);
}
