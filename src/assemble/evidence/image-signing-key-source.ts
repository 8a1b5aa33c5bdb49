import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSigningKey, writeImageSigningKeyFiles, type ImageSigningKey } from '../../attest/index.ts';

export type ImageSigningKeySource = {
  readonly key: ImageSigningKey;
  /** The private key file. */
  readonly path: string;
  readonly from: 'flag' | 'environment' | 'state';
  /** Set when the key was created just now (first use of the state directory's key). */
  readonly generated?: { readonly publicPath: string };
};

/** The key kiln signs images with when nothing else is named: `<state>/keys/kiln-image.key`. */
export function defaultImageKeyPath(stateDir: string): string {
  return join(stateDir, 'keys', 'kiln-image.key');
}

/**
 * Which key signs a built image: `--sign-key FILE`, else `$KILN_IMAGE_KEY`, else the
 * state directory's `keys/kiln-image.key`, which is generated (unencrypted, mode 0600,
 * with `kiln-image.pub` beside it) the first time it is needed. A passphrase, when the
 * key is encrypted, comes from a file only, never from the command line or the log.
 */
export async function resolveImageSigningKey(options: {
  readonly signKey?: string;
  readonly passphraseFile?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stateDir: string;
}): Promise<ImageSigningKeySource> {
  const pass = options.passphraseFile !== undefined ? { passphraseFile: options.passphraseFile } : {};
  if (options.signKey !== undefined) return { key: await loadSigningKey(options.signKey, pass), path: options.signKey, from: 'flag' };
  const fromEnv = options.env['KILN_IMAGE_KEY'];
  if (fromEnv !== undefined && fromEnv !== '') return { key: await loadSigningKey(fromEnv, pass), path: fromEnv, from: 'environment' };
  const path = defaultImageKeyPath(options.stateDir);
  if (await exists(path)) return { key: await loadSigningKey(path, pass), path, from: 'state' };
  let files;
  try {
    files = await writeImageSigningKeyFiles(join(options.stateDir, 'keys'));
  } catch (error) {
    // another kiln process sharing the state generated it first: use that one
    if (await exists(path)) return { key: await loadSigningKey(path, pass), path, from: 'state' };
    throw error;
  }
  return { key: await loadSigningKey(files.privatePath), path: files.privatePath, from: 'state', generated: { publicPath: files.publicPath } };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
