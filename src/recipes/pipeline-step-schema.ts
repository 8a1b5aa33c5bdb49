import { z } from 'zod';
import type { PipelineStep, StepAction } from './recipe-types.ts';
import { describeFound, list, map, object, text, uint } from './schema-primitives.ts';

/** `with:` and `environment:` values are text even when they look like numbers or booleans. */
const stringMap = map(text);

/**
 * One pipeline step (melange's config.Pipeline as a recipe or a pipeline definition
 * writes it). `inputs` belongs to a definition file's top level, so a step that
 * declares it is refused rather than silently ignored as melange does.
 */
export const pipelineStepSchema: z.ZodType<PipelineStep> = makeStepSchema(false);

/**
 * Steps inside pipeline definition files may also carry a `description:` (melange
 * reads those files without refusing unknown keys, and the ones in the wild document
 * steps that way); a recipe's own steps may not, as melange refuses it there.
 */
export const definitionStepSchema: z.ZodType<PipelineStep> = makeStepSchema(true);

function makeStepSchema(inDefinition: boolean): z.ZodType<PipelineStep> {
  const self: z.ZodType<PipelineStep> = z.lazy(() =>
  object({
    ...(inDefinition && { description: text.optional() }),
    name: text.optional(),
    if: text.optional(),
    uses: text.optional(),
    with: stringMap.optional(),
    runs: text.optional(),
    'working-directory': text.optional(),
    environment: stringMap.optional(),
    pipeline: list(self).optional(),
    label: text.optional(),
    needs: object({ packages: list(text).optional() }).optional(),
    inputs: z.unknown().refine(() => false, { error: 'inputs are declared at the top of a pipeline definition file, not in a step' }).optional(),
    assertions: object({ 'required-steps': uint.optional() }).optional(),
  }).transform((s, ctx): PipelineStep => {
    // The same rules as melange's validatePipelines, reported at the offending key.
    if (s.uses !== undefined && s.runs !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['runs'], message: `a step has either uses or runs, not both (uses is ${describeFound(s.uses)})` });
    }
    if (s.with !== undefined && s.uses === undefined) {
      ctx.addIssue({ code: 'custom', path: ['with'], message: 'with gives inputs to a uses pipeline, but this step has no uses' });
    }
    if (s.uses !== undefined && s.uses.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['uses'], message: 'expected a pipeline name such as autoconf/make, found empty text' });
    }
    const action: StepAction =
      s.uses !== undefined
        ? { kind: 'uses', uses: s.uses.trim(), with: { ...s.with } }
        : s.runs !== undefined
          ? { kind: 'runs', runs: s.runs }
          : { kind: 'none' };
    return {
      ...(s.name !== undefined && { name: s.name }),
      ...(s.if !== undefined && { if: s.if }),
      action,
      ...(s['working-directory'] !== undefined && { workingDirectory: s['working-directory'] }),
      environment: { ...s.environment },
      pipeline: s.pipeline ?? [],
      ...(s.label !== undefined && { label: s.label }),
      needs: s.needs?.packages ?? [],
      ...(s.assertions?.['required-steps'] !== undefined && { requiredSteps: s.assertions['required-steps'] }),
    };
  }),
  );
  return self;
}

export const pipelineSchema = list(pipelineStepSchema);
