/**
 * Package recipes: melange-compatible YAML parsed into a typed {@link Recipe},
 * `${{…}}` substitution, `if:` conditions, pipeline definitions on a search path, and
 * the compiled, per-architecture form `kiln package build` runs.
 *
 * Typical use:
 *
 *   const { recipe, source } = parseRecipeSource(text, 'hello.yaml');
 *   const compiled = await compileRecipe(recipe, { arch: 'x86_64', pipelineDirs: ['pipelines'], locate: source.locate });
 *   for (const step of compiled.main.steps) run(step.runs, step.workingDirectory, step.environment);
 */
export type {
  Recipe,
  RecipePackage,
  Copyright,
  Dependencies,
  PackageOptions,
  Scriptlets,
  FileCapability,
  Resources,
  BuildEnvironment,
  PipelineStep,
  StepAction,
  Subpackage,
  RangeData,
  VarTransform,
  BuildOption,
  RecipeTest,
  UpdateConfig,
  ReleaseMonitorConfig,
  GitHubMonitorConfig,
  GitMonitorConfig,
  OciMonitorConfig,
} from './recipe-types.ts';
export { parseRecipeYaml, parseRecipeSource, loadRecipe } from './parse-recipe-yaml.ts';
export { substitute, scanVariables, type VariableLookup, type VariableReference, type VariableSyntaxProblem } from './substitute.ts';
export { evaluateCondition } from './evaluate-condition.ts';
export { compileGoRegexp, goReplaceAll } from './go-regexp.ts';
export { recipeVariables, subpackageVariables, rangeItems, recipeArch, type Variables, type VariableOptions } from './recipe-variables.ts';
export {
  loadPipelineDefinition,
  parsePipelineDefinitionYaml,
  checkUsesName,
  type PipelineDefinition,
  type PipelineInput,
} from './pipeline-definition.ts';
export {
  resolvePipelineStep,
  resolvePipeline,
  type ResolvedStep,
  type ResolvedPipeline,
  type ResolveOptions,
  type StepSite,
} from './resolve-pipeline-step.ts';
export { compileRecipe, recipeBuildsFor, type CompiledRecipe, type CompiledPackage, type CompiledTest, type CompileOptions } from './compile-recipe.ts';
