import { access, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { generateImageSigningKey } from './signing-key.ts';

export type ImageSigningKeyFiles = {
  readonly privatePath: string;
  readonly publicPath: string;
  readonly keyId: string;
};

/**
 * Generates an image signing key pair into `dir` as `<name>.key` (PKCS#8, mode 0600,
 * encrypted when a passphrase is given) and `<name>.pub` (SPKI), the file names cosign
 * uses. Existing files are never overwritten: a lost key means re-signing every image.
 */
export async function writeImageSigningKeyFiles(
  dir: string,
  options: { readonly passphrase?: string; readonly name?: string } = {},
): Promise<ImageSigningKeyFiles> {
  const name = options.name ?? 'kiln-image';
  const privatePath = join(dir, `${name}.key`);
  const publicPath = join(dir, `${name}.pub`);
  for (const p of [privatePath, publicPath]) {
    if (await exists(p)) throw new KilnError('INPUT_INVALID', `${p} already exists; move it away or choose another name`);
  }
  const key = generateImageSigningKey(options.passphrase !== undefined ? { passphrase: options.passphrase } : {});
  await mkdir(dir, { recursive: true });
  await writeAtomic(privatePath, key.privatePem, 0o600);
  await writeAtomic(publicPath, key.publicPem, 0o644);
  return { privatePath, publicPath, keyId: key.keyId };
}

/** Temp file created with its final mode (a private key is never readable by others, not even briefly), then renamed. */
async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
