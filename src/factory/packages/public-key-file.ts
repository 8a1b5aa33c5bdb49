import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { publicPemOf } from '../../apk/index.ts';
import type { LoadedSigningKey } from '../../build/index.ts';
import { writeFileAtomic } from '../../files/index.ts';

/**
 * A file holding the key's public half under the name apk looks it up by (`me.rsa.pub`):
 * the `.pub` beside the private key when it is there and matches, else one written to
 * `<state>/keys/public/` (a `keys.apk` given without its `.pub`). Images trust the
 * repository through this file, as `kiln image build --keyring` would.
 */
export async function publicKeyFileOf(key: LoadedSigningKey, stateDir: string): Promise<string> {
  const pem = publicPemOf(key.privatePem);
  if (key.publicPath !== undefined) {
    const beside = await readFile(key.publicPath, 'utf8').catch(() => undefined);
    if (beside?.trim() === pem.trim()) return key.publicPath;
  }
  const file = join(stateDir, 'keys', 'public', key.keyName);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== pem) await writeFileAtomic(file, pem);
  return file;
}
