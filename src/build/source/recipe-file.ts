import { realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { joinInside } from '../../files/index.ts';

/**
 * Resolves a file named by a recipe (a patch, a pinned key) relative to the recipe's
 * directory. Refuses names that lead outside it, lexically (`../x`, `/etc/x`) or
 * through a symlink, because a recipe must not be able to read arbitrary host files
 * into a build. Returns the real path of an existing regular file.
 */
export async function resolveRecipeFile(recipeDir: string, name: string, where: string): Promise<string> {
  let joined: string;
  try {
    joined = joinInside(recipeDir, name, where);
  } catch (e) {
    throw new KilnError('PATH_UNSAFE', `${where}: ${JSON.stringify(name)} must be a path inside the recipe directory ${recipeDir}`, { cause: e });
  }
  const root = await realpath(recipeDir);
  let real: string;
  try {
    real = await realpath(joined);
  } catch (e) {
    throw new KilnError('NOT_FOUND', `${where}: ${JSON.stringify(name)} not found in ${recipeDir}`, { cause: e });
  }
  if (real !== root && !real.startsWith(root + sep)) {
    throw new KilnError('PATH_UNSAFE', `${where}: ${JSON.stringify(name)} resolves to ${real}, outside the recipe directory ${root}`);
  }
  if (!(await stat(real)).isFile()) {
    throw new KilnError('INPUT_INVALID', `${where}: ${JSON.stringify(name)} is not a regular file`);
  }
  return real;
}
