import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { planBuild } from '../../build/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';

/** What a recipe makes at its current version, and the archives its fetch steps pin. */
export type RecipeTarget = {
  readonly file: string;
  /** The main package: present in the repository at `fullVersion` means the recipe is built. */
  readonly name: string;
  /** `2.10-r0`: version and epoch, as the APK carries it. */
  readonly fullVersion: string;
  /** The sha256 pins of each `uses: fetch` (a fetch pinned by sha512 alone has none). */
  readonly fetches: readonly { readonly sha256: readonly Digest[] }[];
};

/** `*.yaml` / `*.yml` directly in `dir`, sorted: one recipe each (subdirectories hold pipelines, keys, patches). */
export async function listRecipeFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KilnError('NOT_FOUND', `packages.recipes ${dir}: no such directory`, { cause });
    throw new KilnError('IO', `packages.recipes ${dir}: cannot list it (${code ?? String(cause)})`, { cause });
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Plans the recipe for `arch` (parse, compile, split out source steps) without running anything. */
export async function recipeTarget(file: string, arch: string): Promise<RecipeTarget> {
  const plan = await planBuild({ recipePath: file, arch });
  const main = plan.compiled.main;
  const fetches = plan.mainSteps.flatMap((s) => {
    if (s.kind !== 'source' || s.uses !== 'fetch') return [];
    const hex = s.with['expected-sha256'];
    return [{ sha256: hex !== undefined && /^[0-9a-f]{64}$/.test(hex) ? [`sha256:${hex}` as Digest] : [] }];
  });
  return { file, name: main.name, fullVersion: main.fullVersion, fetches };
}
