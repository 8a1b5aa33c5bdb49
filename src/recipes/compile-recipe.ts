import { KilnError, formatPath } from '../errors/index.ts';
import type { SourcePosition } from '../yaml/index.ts';
import { evaluateCondition } from './evaluate-condition.ts';
import type { PipelineDefinition } from './pipeline-definition.ts';
import type { BuildEnvironment, Copyright, Dependencies, PipelineStep, Recipe, RecipeTest, Scriptlets, Subpackage } from './recipe-types.ts';
import { rangeItems, recipeArch, recipeVariables, subpackageVariables, type Variables } from './recipe-variables.ts';
import { resolvePipeline, type ResolvedStep } from './resolve-pipeline-step.ts';
import { substitute } from './substitute.ts';

/** One package the build produces (the main one or a subpackage), everything substituted. */
export type CompiledPackage = {
  readonly name: string;
  readonly version: string;
  readonly epoch: number;
  /** `VERSION-rEPOCH`, the APK version. */
  readonly fullVersion: string;
  readonly description?: string;
  readonly url?: string;
  readonly commit?: string;
  readonly copyright: readonly Copyright[];
  readonly dependencies: Dependencies;
  readonly options: Recipe['package']['options'];
  readonly scriptlets?: Scriptlets;
  readonly annotations: Readonly<Record<string, string>>;
  /** The scripts that fill this package's directory (`${{targets.contextdir}}`), in order. */
  readonly steps: readonly ResolvedStep[];
  readonly test?: CompiledTest;
};

export type CompiledTest = {
  /** The test environment; its packages include the package under test and what its pipelines need. */
  readonly environment: BuildEnvironment;
  readonly steps: readonly ResolvedStep[];
};

/** A recipe made concrete for one architecture: what `kiln package build` runs. */
export type CompiledRecipe = {
  readonly recipe: Recipe;
  /** The APK spelling (`x86_64`, `aarch64`). */
  readonly arch: string;
  /** The main package's variables (for messages and for tools that substitute more text). */
  readonly variables: Variables;
  /** The build environment: packages as written plus every pipeline's `needs`, sorted and deduplicated. */
  readonly environment: BuildEnvironment;
  readonly main: CompiledPackage;
  /** Subpackages in file order, ranged ones expanded in sorted key order; those whose `if:` is false are left out. */
  readonly subpackages: readonly CompiledPackage[];
  /** Subpackages left out, and why. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
};

export type CompileOptions = {
  /** `x86_64` / `amd64`, `aarch64` / `arm64`, …. */
  readonly arch: string;
  /** The pipeline search path, first match wins (melange's --pipeline-dir). */
  readonly pipelineDirs: readonly string[];
  /** Recipe `options:` to turn on: their vars override, their package changes apply. */
  readonly enabledOptions?: readonly string[];
  /** The build workspace inside the sandbox (default /home/build, as melange). */
  readonly workspace?: string;
  /** Locates fields for messages (parseRecipeSource's `source.locate`). */
  readonly locate?: (path: readonly PropertyKey[]) => SourcePosition;
  /** Pipeline definitions already loaded (shared between architectures). */
  readonly cache?: Map<string, Promise<PipelineDefinition>>;
};

/** Whether the recipe builds for `arch` (`target-architecture` empty or containing it or `all`). */
export function recipeBuildsFor(recipe: Recipe, arch: string): boolean {
  const want = recipeArch(arch) ?? arch;
  const targets = recipe.package.targetArchitecture;
  return targets.length === 0 || targets.some((t) => t === 'all' || recipeArch(t) === want || t === want);
}

/**
 * Substitutes every variable, expands ranged subpackages, evaluates subpackage
 * conditions and resolves every pipeline through the search path, for one
 * architecture. Errors are KilnErrors naming the file, field and (with `locate`)
 * the line.
 */
export async function compileRecipe(input: Recipe, options: CompileOptions): Promise<CompiledRecipe> {
  const recipe = applyBuildOptions(input, options.enabledOptions ?? []);
  const workspace = options.workspace ?? '/home/build';
  const variables = recipeVariables(recipe, { arch: options.arch, workspace, ...(options.enabledOptions && { enabledOptions: options.enabledOptions }) });
  const cache = options.cache ?? new Map<string, Promise<PipelineDefinition>>();
  const where = (path: readonly PropertyKey[]) => {
    const at = options.locate?.(path);
    return `${recipe.file}${at ? `:${at.line}:${at.col}` : ''}: ${formatPath(path)}`;
  };
  const text = (vars: Variables, path: readonly PropertyKey[]) => (s: string, ...field: PropertyKey[]) => substitute(s, (k) => vars.get(k), where([...path, ...field]));
  const steps = (vars: Variables, list: readonly PipelineStep[], path: readonly PropertyKey[]) =>
    resolvePipeline(list, options.pipelineDirs, { variables: vars, cache, site: { file: recipe.file, path, ...(options.locate && { locate: options.locate }) } });

  const needs = new Set<string>();
  const main = await compilePackage(
    recipe.package,
    { meta: recipe.package, pipeline: recipe.pipeline, ...(recipe.test && { test: recipe.test }), at: { meta: ['package'], pipeline: ['pipeline'], test: ['test'] } },
    variables,
    text,
    steps,
    needs,
    recipe.package.name,
  );
  const subpackages: CompiledPackage[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const [i, sub] of recipe.subpackages.entries()) {
    for (const item of rangeItems(recipe, sub)) {
      const base = item ? subpackageVariables(variables, '', workspace, item) : variables;
      const name = substitute(sub.name, (k) => base.get(k), where(['subpackages', i, 'name']));
      const vars = subpackageVariables(variables, name, workspace, item);
      if (sub.if !== undefined) {
        let holds: boolean;
        try {
          holds = evaluateCondition(sub.if, (k) => vars.get(k));
        } catch (e) {
          throw new KilnError('RECIPE_INVALID', `${where(['subpackages', i, 'if'])}: ${(e as Error).message}`, { cause: e });
        }
        if (!holds) {
          skipped.push({ name, reason: `if: ${sub.if}` });
          continue;
        }
      }
      const at = ['subpackages', i];
      const source: PackageSource = { meta: sub, pipeline: sub.pipeline, ...(sub.test && { test: sub.test }), at: { meta: at, pipeline: [...at, 'pipeline'], test: [...at, 'test'] } };
      subpackages.push(await compilePackage(recipe.package, source, vars, text, steps, needs, name));
    }
  }
  const environment = substituteEnvironment(recipe.environment, text(variables, ['environment']), [...needs]);
  return { recipe, arch: variables.get('build.arch') ?? options.arch, variables, environment, main, subpackages, skipped };
}

type TextFn = (vars: Variables, path: readonly PropertyKey[]) => (s: string, ...field: PropertyKey[]) => string;
type StepsFn = (vars: Variables, list: readonly PipelineStep[], path: readonly PropertyKey[]) => Promise<{ readonly steps: readonly ResolvedStep[]; readonly needs: readonly string[] }>;

/** What a main package and a subpackage have in common, and where each part is written. */
type PackageSource = {
  readonly meta: Pick<Subpackage, 'description' | 'url' | 'commit' | 'dependencies' | 'options' | 'scriptlets' | 'annotations'>;
  readonly pipeline: readonly PipelineStep[];
  readonly test?: RecipeTest;
  /** Where the metadata, the pipeline and the test are written (`['package']`, `['pipeline']`, `['test']` for the main package). */
  readonly at: { readonly meta: readonly PropertyKey[]; readonly pipeline: readonly PropertyKey[]; readonly test: readonly PropertyKey[] };
};

async function compilePackage(
  pkg: Recipe['package'],
  src: PackageSource,
  vars: Variables,
  text: TextFn,
  steps: StepsFn,
  needs: Set<string>,
  name: string,
): Promise<CompiledPackage> {
  const t = text(vars, src.at.meta);
  const { meta } = src;
  const built = await steps(vars, src.pipeline, src.at.pipeline);
  for (const n of built.needs) needs.add(n);
  const test = src.test ? await compileTest(src.test, vars, src.at.test, text, steps, name) : undefined;
  const deps = meta.dependencies;
  return {
    name,
    version: pkg.version,
    epoch: pkg.epoch,
    fullVersion: `${pkg.version}-r${pkg.epoch}`,
    ...(meta.description !== undefined && { description: t(meta.description, 'description') }),
    ...(meta.url !== undefined && { url: t(meta.url, 'url') }),
    // As melange: a subpackage without its own commit has the package's.
    ...((meta.commit ?? pkg.commit) !== undefined && { commit: meta.commit ?? pkg.commit }),
    // Subpackages carry the package's licenses, as melange's do.
    copyright: pkg.copyright.map((c, i) => ({
      ...c,
      paths: c.paths.map((x, j) => text(vars, ['package', 'copyright', i])(x, 'paths', j)),
      license: text(vars, ['package', 'copyright', i])(c.license, 'license'),
    })),
    dependencies: {
      runtime: deps.runtime.map((d, i) => t(d, 'dependencies', 'runtime', i)),
      provides: deps.provides.map((d, i) => t(d, 'dependencies', 'provides', i)),
      replaces: deps.replaces.map((d, i) => t(d, 'dependencies', 'replaces', i)),
      ...(deps.providerPriority !== undefined && { providerPriority: t(deps.providerPriority, 'dependencies', 'provider-priority') }),
      ...(deps.replacesPriority !== undefined && { replacesPriority: t(deps.replacesPriority, 'dependencies', 'replaces-priority') }),
    },
    options: meta.options,
    ...(meta.scriptlets !== undefined && { scriptlets: substituteScriptlets(meta.scriptlets, (s, ...f) => t(s, 'scriptlets', ...f)) }),
    annotations: Object.fromEntries(Object.entries(meta.annotations).map(([k, v]) => [k, t(v, 'annotations', k)])),
    steps: built.steps,
    ...(test && { test }),
  };
}

async function compileTest(test: RecipeTest, vars: Variables, path: readonly PropertyKey[], text: TextFn, steps: StepsFn, name: string): Promise<CompiledTest> {
  const built = await steps(vars, test.pipeline, [...path, 'pipeline']);
  // As melange: the package under test and what the test pipelines need join the test environment.
  const environment = substituteEnvironment(test.environment, text(vars, [...path, 'environment']), [name, ...built.needs]);
  return { environment, steps: built.steps };
}

function substituteScriptlets(s: Scriptlets, t: (s: string, ...field: PropertyKey[]) => string): Scriptlets {
  const opt = (v: string | undefined, key: string) => (v === undefined ? {} : { [key]: t(v, key) });
  return {
    ...(s.trigger && { trigger: { ...(s.trigger.script !== undefined && { script: t(s.trigger.script, 'trigger', 'script') }), paths: s.trigger.paths.map((p, i) => t(p, 'trigger', 'paths', i)) } }),
    ...opt(s.preInstall, 'pre-install'),
    ...opt(s.postInstall, 'post-install'),
    ...opt(s.preDeinstall, 'pre-deinstall'),
    ...opt(s.postDeinstall, 'post-deinstall'),
    ...opt(s.preUpgrade, 'pre-upgrade'),
    ...opt(s.postUpgrade, 'post-upgrade'),
  } as Scriptlets;
}

function substituteEnvironment(env: BuildEnvironment, t: (s: string, ...field: PropertyKey[]) => string, extraPackages: readonly string[]): BuildEnvironment {
  const c = env.contents;
  const packages = [...c.packages.map((p, i) => t(p, 'contents', 'packages', i)), ...extraPackages];
  return {
    ...env,
    contents: {
      repositories: c.repositories.map((r, i) => t(r, 'contents', 'repositories', i)),
      buildRepositories: c.buildRepositories.map((r, i) => t(r, 'contents', 'build_repositories', i)),
      runtimeRepositories: c.runtimeRepositories.map((r, i) => t(r, 'contents', 'runtime_repositories', i)),
      keyring: c.keyring.map((k, i) => t(k, 'contents', 'keyring', i)),
      packages: [...new Set(packages)].sort(),
    },
    environment: Object.fromEntries(Object.entries(env.environment).map(([k, v]) => [k, t(v, 'environment', k)])),
  };
}

/** melange's build options: an enabled option's vars override the recipe's, its package list edits the environment. */
function applyBuildOptions(recipe: Recipe, enabled: readonly string[]): Recipe {
  let out = recipe;
  for (const name of enabled) {
    const opt = recipe.options[name];
    if (!opt) {
      const known = Object.keys(recipe.options).sort();
      throw new KilnError('RECIPE_INVALID', `${recipe.file}: no build option ${JSON.stringify(name)} (${known.length ? `options: ${known.join(', ')}` : 'the recipe has no options:'})`);
    }
    const remove = new Set(opt.packages.remove);
    const packages = [...out.environment.contents.packages.filter((p) => !remove.has(p)), ...opt.packages.add];
    out = {
      ...out,
      vars: { ...out.vars, ...opt.vars },
      environment: { ...out.environment, contents: { ...out.environment.contents, packages } },
    };
  }
  return out;
}
