import { KilnError, formatPath } from '../errors/index.ts';
import type { SourcePosition } from '../yaml/index.ts';
import { evaluateCondition } from './evaluate-condition.ts';
import { loadPipelineDefinition, type PipelineDefinition } from './pipeline-definition.ts';
import type { PipelineStep } from './recipe-types.ts';
import type { Variables } from './recipe-variables.ts';
import { substitute } from './substitute.ts';

/** One shell script to run, with everything it inherits spelled out. */
export type ResolvedStep = {
  /** The step's `name:`, else its definition's name, else its `uses`; undefined for an anonymous `runs`. */
  readonly name?: string;
  /** The chain of `uses` that produced the script, outermost first (empty for a recipe's own `runs`). */
  readonly origin: readonly string[];
  /** The script, every `${{…}}` substituted; `${VAR}`, `$(cmd)` and `{{ x }}` as written. */
  readonly runs: string;
  /** As written after substitution (relative to the workspace unless absolute); undefined means the workspace. */
  readonly workingDirectory?: string;
  /** The merged environment of the step and its ancestors (inner keys win). */
  readonly environment: Readonly<Record<string, string>>;
};

/** The scripts a step expands to, in order, and the packages its pipelines need. */
export type ResolvedPipeline = {
  readonly steps: readonly ResolvedStep[];
  /** `needs.packages` of every step that runs, substituted, sorted and deduplicated. */
  readonly needs: readonly string[];
};

/** Where a step was written, for messages: a file, the field path, and optionally a way to a line. */
export type StepSite = {
  readonly file: string;
  readonly path: readonly PropertyKey[];
  readonly locate?: (path: readonly PropertyKey[]) => SourcePosition;
};

export type ResolveOptions = {
  /** The variables of the package (or subpackage) being built: see recipeVariables / subpackageVariables. */
  readonly variables: Variables;
  /** Where the step is written (default: an unnamed recipe's `pipeline`). */
  readonly site?: StepSite;
  /** Definitions already loaded, shared between calls to read each file once. */
  readonly cache?: Map<string, Promise<PipelineDefinition>>;
};

// Nesting deeper than this is a mistake, and a fan-out of uses could otherwise grow without bound.
const MAX_DEPTH = 32;
const MAX_STEPS = 10_000;

type Context = {
  readonly globals: Variables;
  readonly vars: Variables;
  readonly workdir: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly stack: readonly string[];
  readonly searchPath: readonly string[];
  readonly cache: Map<string, Promise<PipelineDefinition>>;
  readonly out: { steps: ResolvedStep[]; needs: Set<string> };
};

/**
 * Expands one pipeline step into concrete `runs` steps: evaluates its `if:`, loads
 * `uses` pipelines from the search path (refusing names that escape it), checks `with:`
 * against the declared inputs (unknown → error, missing required → error), applies
 * defaults, substitutes `${{inputs.*}}` and every other variable, and recurses into
 * nested pipelines (a cycle of `uses` is an error). Nested steps inherit the working
 * directory and environment. Errors are RECIPE_INVALID / PIPELINE_INVALID / PATH_UNSAFE
 * and name the file, line and field.
 */
export async function resolvePipelineStep(step: PipelineStep, searchPath: string | readonly string[], options: ResolveOptions): Promise<ResolvedPipeline> {
  const site = options.site ?? { file: 'recipe', path: ['pipeline', 0] };
  return resolveSteps([[step, site]], searchPath, options);
}

/** {@link resolvePipelineStep} for a list of steps (`site.path` names the list, e.g. `['pipeline']`). */
export async function resolvePipeline(steps: readonly PipelineStep[], searchPath: string | readonly string[], options: ResolveOptions): Promise<ResolvedPipeline> {
  const site = options.site ?? { file: 'recipe', path: ['pipeline'] };
  return resolveSteps(
    steps.map((step, i) => [step, { ...site, path: [...site.path, i] }]),
    searchPath,
    options,
  );
}

async function resolveSteps(steps: readonly (readonly [PipelineStep, StepSite])[], searchPath: string | readonly string[], options: ResolveOptions): Promise<ResolvedPipeline> {
  const ctx: Context = {
    globals: options.variables,
    vars: options.variables,
    workdir: undefined,
    env: {},
    stack: [],
    searchPath: typeof searchPath === 'string' ? [searchPath] : searchPath,
    cache: options.cache ?? new Map(),
    out: { steps: [], needs: new Set() },
  };
  for (const [step, site] of steps) await resolveStep(step, ctx, site);
  return { steps: ctx.out.steps, needs: [...ctx.out.needs].sort() };
}

function describe(site: StepSite, field: readonly PropertyKey[] = []): string {
  const path = [...site.path, ...field];
  const at = site.locate?.(path);
  return `${site.file}${at ? `:${at.line}:${at.col}` : ''}: ${formatPath(path)}`;
}

/** Returns whether the step ran (its condition held). */
async function resolveStep(step: PipelineStep, ctx: Context, site: StepSite): Promise<boolean> {
  // Inside a pipeline definition, a bad variable is the definition's fault.
  const code = ctx.stack.length > 0 ? 'PIPELINE_INVALID' : 'RECIPE_INVALID';
  const sub = (text: string, field: readonly PropertyKey[]) => substitute(text, (k) => ctx.vars.get(k), describe(site, field), code);
  if (step.if !== undefined && !condition(step.if, ctx.vars, site)) return false;
  const workdir = step.workingDirectory !== undefined ? sub(step.workingDirectory, ['working-directory']) : ctx.workdir;
  const env = { ...ctx.env };
  for (const [k, v] of Object.entries(step.environment)) env[k] = sub(v, ['environment', k]);
  for (const [i, n] of step.needs.entries()) ctx.out.needs.add(sub(n, ['needs', 'packages', i]));
  const inner: Context = { ...ctx, workdir, env };
  const action = step.action;
  if (action.kind === 'uses' && step.pipeline.length === 0) {
    await resolveUses(step, action.uses, action.with, inner, site);
    return true;
  }
  if (action.kind === 'runs') emit(inner, { name: step.name, runs: sub(action.runs, ['runs']) }, site);
  const ran = await resolveChildren(step.pipeline, inner, site, ['pipeline']);
  checkRequired(step.requiredSteps, ran, site);
  return true;
}

async function resolveChildren(steps: readonly PipelineStep[], ctx: Context, site: StepSite, field: readonly PropertyKey[]): Promise<number> {
  let ran = 0;
  for (const [i, child] of steps.entries()) {
    if (await resolveStep(child, ctx, { ...site, path: [...site.path, ...field, i] })) ran++;
  }
  return ran;
}

async function resolveUses(step: PipelineStep, uses: string, withArgs: Readonly<Record<string, string>>, ctx: Context, site: StepSite): Promise<void> {
  if (ctx.stack.includes(uses)) {
    throw new KilnError('RECIPE_INVALID', `${describe(site, ['uses'])}: pipeline ${JSON.stringify(uses)} uses itself: ${[...ctx.stack, uses].join(' → ')}`);
  }
  if (ctx.stack.length >= MAX_DEPTH) throw new KilnError('RECIPE_INVALID', `${describe(site, ['uses'])}: pipelines nest deeper than ${MAX_DEPTH}: ${ctx.stack.join(' → ')}`);
  let loading = ctx.cache.get(uses);
  if (!loading) {
    loading = loadPipelineDefinition(uses, ctx.searchPath, describe(site, ['uses']));
    ctx.cache.set(uses, loading);
  }
  const def = await loading;
  const inputs = bindInputs(def, withArgs, ctx, site);
  // The definition sees the package's variables and its own inputs, not its caller's inputs.
  const vars = new Map(ctx.globals);
  for (const [k, v] of Object.entries(inputs)) vars.set(`inputs.${k}`, v);
  const defSite: StepSite = { file: def.file, path: [], locate: (p) => def.source.locate(p) };
  const sub = (text: string, field: readonly PropertyKey[]) => substitute(text, (k) => vars.get(k), describe(defSite, field), 'PIPELINE_INVALID');
  if (def.if !== undefined && !condition(def.if, vars, defSite)) return;
  for (const [i, n] of def.needs.entries()) ctx.out.needs.add(sub(n, ['needs', 'packages', i]));
  const workdir = def.workingDirectory !== undefined ? sub(def.workingDirectory, ['working-directory']) : ctx.workdir;
  const env = { ...ctx.env };
  for (const [k, v] of Object.entries(def.environment)) env[k] = sub(v, ['environment', k]);
  const inner: Context = { ...ctx, vars, workdir, env, stack: [...ctx.stack, uses] };
  const name = step.name ?? def.name ?? uses;
  if (def.runs !== undefined) emit(inner, { name, runs: sub(def.runs, ['runs']) }, defSite);
  const ran = await resolveChildren(
    def.pipeline.map((s) => (s.name === undefined ? { ...s, name } : s)),
    inner,
    defSite,
    ['pipeline'],
  );
  checkRequired(def.requiredSteps, ran, defSite);
}

/**
 * melange's validateWith: every `with:` key must be a declared input; an empty or
 * missing value takes the default; a required input must end up non-empty; expected
 * checksums and commits must look like them. `with:` values are substituted in the
 * caller's scope, defaults in the package's scope plus the inputs given.
 */
function bindInputs(def: PipelineDefinition, withArgs: Readonly<Record<string, string>>, ctx: Context, site: StepSite): Record<string, string> {
  const declared = Object.keys(def.inputs).sort();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(withArgs)) {
    if (!(k in def.inputs)) {
      const known = declared.length ? `its inputs are ${declared.join(', ')}` : 'it declares no inputs';
      throw new KilnError('RECIPE_INVALID', `${describe(site, ['with', k])}: pipeline ${JSON.stringify(def.uses)} has no input ${JSON.stringify(k)} (${known})`);
    }
    out[k] = substitute(v, (name) => ctx.vars.get(name), describe(site, ['with', k]));
  }
  const given = new Map(ctx.globals);
  for (const [k, v] of Object.entries(out)) given.set(`inputs.${k}`, v);
  for (const k of declared) {
    const input = def.inputs[k];
    if (!input) continue;
    if ((out[k] ?? '') === '' && input.default !== undefined) {
      out[k] = substitute(input.default, (name) => given.get(name), `${describe({ file: def.file, path: [], locate: (p) => def.source.locate(p) }, ['inputs', k, 'default'])}`, 'PIPELINE_INVALID');
    }
    const value = out[k] ?? '';
    if (input.required && value === '') {
      throw new KilnError('RECIPE_INVALID', `${describe(site, ['with'])}: pipeline ${JSON.stringify(def.uses)} requires input ${JSON.stringify(k)}${input.description ? ` (${input.description.trim().split('\n')[0]})` : ''}`);
    }
    checkDigestInput(k, value, def.uses, site);
    out[k] = value;
  }
  return out;
}

const DIGEST_LENGTHS: Readonly<Record<string, number>> = { 'expected-sha256': 64, 'expected-sha512': 128, 'expected-commit': 40 };

function checkDigestInput(key: string, value: string, uses: string, site: StepSite): void {
  const length = DIGEST_LENGTHS[key];
  if (length === undefined || value === '') return;
  if (value.length !== length || !/^[0-9a-fA-F]+$/.test(value)) {
    throw new KilnError('RECIPE_INVALID', `${describe(site, ['with', key])}: pipeline ${JSON.stringify(uses)} expects ${length} hex digits for ${key}, found ${JSON.stringify(value)}`);
  }
}

function condition(expr: string, vars: Variables, site: StepSite): boolean {
  try {
    return evaluateCondition(expr, (k) => vars.get(k));
  } catch (e) {
    throw new KilnError('RECIPE_INVALID', `${describe(site, ['if'])}: ${(e as Error).message}`, { cause: e });
  }
}

function checkRequired(required: number | undefined, ran: number, site: StepSite): void {
  if (required !== undefined && required !== ran) {
    throw new KilnError('RECIPE_INVALID', `${describe(site, ['assertions', 'required-steps'])}: ${required} nested steps must run, but ${ran} did (their if: conditions decide)`);
  }
}

function emit(ctx: Context, step: { readonly name: string | undefined; readonly runs: string }, site: StepSite): void {
  if (ctx.out.steps.length >= MAX_STEPS) throw new KilnError('RECIPE_INVALID', `${describe(site)}: the pipeline expands to more than ${MAX_STEPS} steps`);
  ctx.out.steps.push({
    ...(step.name !== undefined && { name: step.name }),
    origin: ctx.stack,
    runs: step.runs,
    ...(ctx.workdir !== undefined && { workingDirectory: ctx.workdir }),
    environment: ctx.env,
  });
}
