import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { KilnError, formatPath } from '../../errors/index.ts';
import {
  compileRecipe,
  evaluateCondition,
  parseRecipeSource,
  recipeBuildsFor,
  resolvePipelineStep,
  substitute,
  type CompiledRecipe,
  type PipelineDefinition,
  type PipelineStep,
  type Recipe,
  type ResolvedStep,
} from '../../recipes/index.ts';
import { isSourceStep, SOURCE_STEP_NAMES, type SourceStepName } from '../source/index.ts';
import { BUILTIN_PIPELINE_DIR } from './kiln-install.ts';

/** A step kiln runs itself, outside the sandbox (src/build/source). */
export type SourceStepPlan = {
  readonly kind: 'source';
  readonly uses: SourceStepName;
  /** `with:` as written, every `${{…}}` substituted. */
  readonly with: Readonly<Record<string, string>>;
  /** `hello.yaml:12:5: pipeline[0]`, for messages. */
  readonly where: string;
};

/** A script run inside the sandbox. */
export type SandboxStepPlan = { readonly kind: 'sandbox'; readonly step: ResolvedStep };

export type MainStepPlan = SourceStepPlan | SandboxStepPlan;

/** Everything decided before anything runs. */
export type BuildPlan = {
  readonly compiled: CompiledRecipe;
  /** Absolute path of the recipe file. */
  readonly recipeFile: string;
  readonly recipeDir: string;
  /** sha256 hex of the recipe file's bytes. */
  readonly recipeSha256: string;
  /** The main package's steps in recipe order: source steps and sandbox scripts interleaved. */
  readonly mainSteps: readonly MainStepPlan[];
  /** The search path used: the recipe's own pipelines/, then `extraPipelineDirs`, then kiln's. */
  readonly pipelineDirs: readonly string[];
};

export type PlanOptions = {
  readonly recipePath: string;
  /** `x86_64`, `aarch64` (or the Go spellings). */
  readonly arch: string;
  readonly extraPipelineDirs?: readonly string[];
};

/**
 * Loads and compiles the recipe for one architecture and splits the main pipeline
 * into source steps (fetch, git-checkout, patch: run by kiln outside the sandbox, in
 * recipe order) and sandboxed scripts. The source steps are taken out before
 * compiling, so their own definitions (and `needs`, such as wget or git) never reach
 * the build environment. A source step anywhere else (nested in a group, inside
 * another pipeline, in a subpackage or a test) cannot run outside the sandbox, and the
 * recipe is refused (RECIPE_INVALID) before anything runs.
 */
export async function planBuild(options: PlanOptions): Promise<BuildPlan> {
  const recipeFile = resolve(options.recipePath);
  const recipeDir = dirname(recipeFile);
  let bytes: Buffer;
  try {
    bytes = await readFile(recipeFile);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO';
    throw new KilnError(code, `${options.recipePath}: cannot read the recipe: ${(e as Error).message}`, { cause: e });
  }
  const { recipe, source } = parseRecipeSource(bytes.toString('utf8'), options.recipePath);
  if (!recipeBuildsFor(recipe, options.arch)) {
    throw new KilnError('INPUT_INVALID', `${options.recipePath}: package.target-architecture is ${recipe.package.targetArchitecture.join(', ')}; it does not build for ${options.arch}`);
  }
  const own = join(recipeDir, 'pipelines');
  const pipelineDirs = [...((await isDir(own)) ? [own] : []), ...(options.extraPipelineDirs ?? []).map((d) => resolve(d)), BUILTIN_PIPELINE_DIR];
  const locate = source.locate;
  const where = (path: readonly PropertyKey[]): string => {
    const at = locate(path);
    return `${options.recipePath}${at ? `:${at.line}:${at.col}` : ''}: ${formatPath(path)}`;
  };

  const isTopSource = (s: PipelineStep): boolean => s.action.kind === 'uses' && isSourceStep(s.action.uses) && s.pipeline.length === 0;
  const withoutSources: Recipe = { ...recipe, pipeline: recipe.pipeline.filter((s) => !isTopSource(s)) };
  const cache = new Map<string, Promise<PipelineDefinition>>();
  const compiled = await compileRecipe(withoutSources, { arch: options.arch, pipelineDirs, locate, cache });

  // Resolved one step at a time, at its own place in the file, so that source steps keep
  // their order relative to the scripts around them.
  const vars = compiled.variables;
  const mainSteps: MainStepPlan[] = [];
  for (const [i, step] of recipe.pipeline.entries()) {
    const path = ['pipeline', i];
    if (isTopSource(step) && step.action.kind === 'uses') {
      const uses = step.action.uses as SourceStepName;
      if (step.if !== undefined && !condition(step.if, vars, where([...path, 'if']))) continue;
      const withArgs: Record<string, string> = {};
      for (const [k, v] of Object.entries(step.action.with)) withArgs[k] = substitute(v, (name) => vars.get(name), where([...path, 'with', k]));
      mainSteps.push({ kind: 'source', uses, with: withArgs, where: where(path) });
      continue;
    }
    const resolved = await resolvePipelineStep(step, pipelineDirs, { variables: vars, cache, site: { file: options.recipePath, path, locate } });
    for (const s of resolved.steps) mainSteps.push({ kind: 'sandbox', step: s });
  }

  const everywhere: readonly (readonly [string, readonly ResolvedStep[]])[] = [
    ['the main pipeline', mainSteps.flatMap((s) => (s.kind === 'sandbox' ? [s.step] : []))],
    ...compiled.subpackages.map((p) => [`subpackage ${p.name}`, p.steps] as const),
    ...[compiled.main, ...compiled.subpackages].flatMap((p) => (p.test ? [[`the test of ${p.name}`, p.test.steps] as const] : [])),
  ];
  for (const [what, steps] of everywhere) {
    for (const s of steps) {
      const nested = s.origin.find((o) => isSourceStep(o));
      if (nested !== undefined) {
        throw new KilnError(
          'RECIPE_INVALID',
          `${options.recipePath}: ${what}: uses ${nested} (via ${s.origin.join(' → ')}); kiln runs ${SOURCE_STEP_NAMES.join(', ')} outside the sandbox and only as top-level steps of the main package's pipeline`,
        );
      }
    }
  }
  return { compiled, recipeFile, recipeDir, recipeSha256: createHash('sha256').update(bytes).digest('hex'), mainSteps, pipelineDirs };
}

function condition(expr: string, vars: ReadonlyMap<string, string>, where: string): boolean {
  try {
    return evaluateCondition(expr, (k) => vars.get(k));
  } catch (e) {
    throw new KilnError('RECIPE_INVALID', `${where}: ${(e as Error).message}`, { cause: e });
  }
}

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
