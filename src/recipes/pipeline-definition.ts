import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { KilnError, isKilnError } from '../errors/index.ts';
import { parseYamlWithSchema, type YamlSource } from '../yaml/index.ts';
import { definitionStepSchema } from './pipeline-step-schema.ts';
import type { PipelineStep } from './recipe-types.ts';
import { bool, list, map, object, text, uint } from './schema-primitives.ts';

/**
 * A reusable pipeline kept as a YAML file on the pipeline search path (melange's
 * `--pipeline-dir`): `uses: autoconf/configure` is `DIR/autoconf/configure.yaml`.
 * Its top level is a step (melange decodes it into the calling step) plus `inputs`.
 */
export type PipelineDefinition = {
  /** The `uses` name that found it (`autoconf/configure`). */
  readonly uses: string;
  /** The file it came from. */
  readonly file: string;
  readonly name?: string;
  /** Packages the build environment needs for this pipeline (may use `${{inputs.*}}`). */
  readonly needs: readonly string[];
  /** Declared inputs; a `with:` key that is not one of them is an error. */
  readonly inputs: Readonly<Record<string, PipelineInput>>;
  /** A script run before the nested steps (rare; most definitions only have `pipeline`). */
  readonly runs?: string;
  readonly if?: string;
  readonly workingDirectory?: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly pipeline: readonly PipelineStep[];
  readonly requiredSteps?: number;
  /** The parsed YAML, to point messages at `file:line:col`. */
  readonly source: YamlSource;
};

export type PipelineInput = {
  readonly description?: string;
  /** Used when `with:` leaves the input out or empty; may use `${{package.*}}`, `${{host.triplet.gnu}}`, …. */
  readonly default?: string;
  /** Without a default, `with:` must give a non-empty value. */
  readonly required: boolean;
};

const input = object({ description: text.optional(), default: text.optional(), required: bool.optional() }).transform(
  (i): PipelineInput => ({
    ...(i.description !== undefined && { description: i.description }),
    ...(i.default !== undefined && { default: i.default }),
    required: i.required ?? false,
  }),
);

const definitionSchema = object({
  name: text.optional(),
  description: text.optional(),
  needs: object({ packages: list(text).optional() }).optional(),
  inputs: map(input).optional(),
  runs: text.optional(),
  if: text.optional(),
  'working-directory': text.optional(),
  environment: map(text).optional(),
  pipeline: list(definitionStepSchema).optional(),
  label: text.optional(),
  assertions: object({ 'required-steps': uint.optional() }).optional(),
});

/** Parses a pipeline definition file's text; problems are PIPELINE_INVALID with `file:line:col`. */
export function parsePipelineDefinitionYaml(textIn: string, file: string, uses: string): PipelineDefinition {
  let parsed: ReturnType<typeof parseYamlWithSchema<typeof definitionSchema>>;
  try {
    parsed = parseYamlWithSchema(textIn, file, definitionSchema, 'PIPELINE_INVALID');
  } catch (e) {
    if (isKilnError(e) && e.code === 'CONFIG_INVALID') throw new KilnError('PIPELINE_INVALID', e.message, { cause: e });
    throw e;
  }
  const d = parsed.value;
  return {
    uses,
    file,
    ...(d.name !== undefined && { name: d.name }),
    needs: d.needs?.packages ?? [],
    inputs: { ...d.inputs },
    ...(d.runs !== undefined && { runs: d.runs }),
    ...(d.if !== undefined && { if: d.if }),
    ...(d['working-directory'] !== undefined && { workingDirectory: d['working-directory'] }),
    environment: { ...d.environment },
    pipeline: d.pipeline ?? [],
    ...(d.assertions?.['required-steps'] !== undefined && { requiredSteps: d.assertions['required-steps'] }),
    source: parsed.source,
  };
}

/** `autoconf/configure`, `go/build`, `test/tw/ldd-check`: segments of safe file-name characters. */
const USES = /^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*(\/[A-Za-z0-9_+-][A-Za-z0-9_.+-]*)*$/;

/**
 * Checks a `uses` name before it touches the file system: no absolute paths, no `..`
 * (melange refuses any `..`), no backslashes, no empty or dot segments. PATH_UNSAFE.
 */
export function checkUsesName(uses: string, where: string): void {
  if (isAbsolute(uses) || uses.includes('..') || !USES.test(uses)) {
    throw new KilnError(
      'PATH_UNSAFE',
      `${where}: uses ${JSON.stringify(uses)} is not a pipeline name; expected path segments such as autoconf/configure, without "..", a leading "/" or backslashes`,
    );
  }
}

/**
 * Finds `uses` on the search path (first directory that has `USES.yaml` wins) and
 * parses it. The file, with symbolic links resolved, must stay inside its search
 * directory. A name found nowhere is RECIPE_INVALID naming every place looked.
 */
export async function loadPipelineDefinition(uses: string, searchPath: readonly string[], where: string): Promise<PipelineDefinition> {
  checkUsesName(uses, where);
  const tried: string[] = [];
  for (const dir of searchPath) {
    const file = join(dir, `${uses}.yaml`);
    tried.push(file);
    let textIn: string;
    try {
      const [realDir, realFile] = await Promise.all([realpath(dir), realpath(file)]);
      const rel = relative(realDir, realFile);
      if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
        throw new KilnError('PATH_UNSAFE', `${where}: uses ${JSON.stringify(uses)} resolves to ${realFile}, outside the pipeline directory ${realDir}`);
      }
      textIn = await readFile(realFile, 'utf8');
    } catch (e) {
      if (isKilnError(e)) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new KilnError('IO', `${file}: cannot read pipeline ${JSON.stringify(uses)}: ${(e as Error).message}`, { cause: e });
    }
    return parsePipelineDefinitionYaml(textIn, file, uses);
  }
  const places = tried.length > 0 ? `looked for ${tried.join(', ')}` : 'the pipeline search path is empty';
  throw new KilnError('RECIPE_INVALID', `${where}: pipeline ${JSON.stringify(uses)} not found (${places})`);
}
