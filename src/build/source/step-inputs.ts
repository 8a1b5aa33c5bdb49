import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';

/**
 * Shared pieces of the source steps' `with:` schemas. Recipes give every `with:` value
 * as text (melange semantics), so booleans and numbers are parsed from their text here.
 */
export const boolText = z.enum(['true', 'false']).transform((s) => s === 'true');

export const uintText = z
  .string()
  .regex(/^[0-9]{1,9}$/, 'expected a whole number')
  .transform(Number);

/** A whitespace-separated list, as melange's `patches:` is written. */
export const wordList = z.string().transform((s) => s.split(/\s+/).filter((w) => w !== ''));

export const httpUrl = z
  .string()
  .refine((s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol), 'expected an http or https URL');

/**
 * Parses a step's `with:` map, or throws PIPELINE_INVALID naming the step and field.
 * An empty value means the input's default, as in melange.
 */
export function parseStepInputs<S extends z.ZodType>(schema: S, raw: Readonly<Record<string, string>>, where: string): z.output<S> {
  const given = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(given);
  if (!parsed.success) throw new KilnError('PIPELINE_INVALID', `${where}: ${describeZodIssues(parsed.error)}`);
  return parsed.data;
}
