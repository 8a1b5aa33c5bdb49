import { readFile } from 'node:fs/promises';
import { KilnError, isKilnError } from '../errors/index.ts';
import { parseYamlWithSchema, type YamlSource } from '../yaml/index.ts';
import { checkRecipe } from './check-recipe.ts';
import { recipeSchema } from './recipe-schema.ts';
import type { Recipe } from './recipe-types.ts';

/**
 * Parses a melange-compatible recipe (YAML text from `file`, which only names it in
 * messages) into a {@link Recipe}, as written (no substitution yet). Every problem is
 * a RECIPE_INVALID error naming `file:line:col` and the field: malformed YAML, unknown
 * keys, wrong types (`epoch: abc`), an unknown `${{variable}}`, a malformed `if:`, a
 * range without data, a bad regexp, invalid or duplicate package names. Files over
 * 1 MiB and alias bombs are refused by the YAML layer.
 */
export function parseRecipeYaml(text: string, file: string): Recipe {
  return parseRecipeSource(text, file).recipe;
}

/** {@link parseRecipeYaml}, also returning the parsed YAML (to locate fields in later messages). */
export function parseRecipeSource(text: string, file: string): { readonly recipe: Recipe; readonly source: YamlSource } {
  let parsed: ReturnType<typeof parseYamlWithSchema<typeof recipeSchema>>;
  try {
    parsed = parseYamlWithSchema(text, file, recipeSchema, 'RECIPE_INVALID');
  } catch (e) {
    // The YAML layer reports malformed or oversized files as config errors; here they are recipe errors.
    if (isKilnError(e) && e.code === 'CONFIG_INVALID') throw new KilnError('RECIPE_INVALID', e.message, { cause: e });
    throw e;
  }
  const recipe: Recipe = { file, ...parsed.value };
  checkRecipe(recipe, parsed.source);
  return { recipe, source: parsed.source };
}

/** Reads and parses a recipe file; a missing file is NOT_FOUND. */
export async function loadRecipe(path: string): Promise<Recipe> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO';
    throw new KilnError(code, `${path}: cannot read the recipe: ${(e as Error).message}`, { cause: e });
  }
  return parseRecipeYaml(text, path);
}
