import { randomBytes } from 'node:crypto';
import { access, link, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { writeFileAtomic } from '../../files/index.ts';
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
  // link() refuses an existing name: of two processes generating at once (kiln workers
  // sharing a state directory), one key wins whole and the other learns it lost
  const staged = `${privatePath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFileAtomic(staged, key.privatePem, { mode: 0o600 });
    await link(staged, privatePath);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw new KilnError('INPUT_INVALID', `${privatePath} already exists; move it away or choose another name`, { cause });
    throw cause;
  } finally {
    await rm(staged, { force: true });
  }
  await writeFileAtomic(publicPath, key.publicPem);
  return { privatePath, publicPath, keyId: key.keyId };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
