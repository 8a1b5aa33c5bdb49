import { isAbsolute, join, normalize, sep } from 'node:path';
import { KilnError } from '../errors/index.ts';

/**
 * Joins a relative name under `root`, refusing anything that would land outside it
 * (`..`, absolute paths, NUL bytes). Symlinks are the caller's concern.
 */
export function joinInside(root: string, name: string, where = 'path'): string {
  if (name.includes('\0')) throw new KilnError('INPUT_INVALID', `${where} ${JSON.stringify(name)} contains a NUL byte`);
  if (isAbsolute(name)) throw new KilnError('INPUT_INVALID', `${where} ${JSON.stringify(name)} is absolute; expected a relative name`);
  const normal = normalize(name);
  if (normal === '..' || normal.startsWith(`..${sep}`)) {
    throw new KilnError('INPUT_INVALID', `${where} ${JSON.stringify(name)} leads outside ${root}`);
  }
  return join(root, normal);
}
