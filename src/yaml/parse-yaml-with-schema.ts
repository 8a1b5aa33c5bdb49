import type { z } from 'zod';
import { KilnError, formatPath, type KilnErrorCode } from '../errors/index.ts';
import { parseYamlSource, type YamlSource } from './yaml-source.ts';

/** How many problems one error lists before "and N more". */
const MAX_LISTED = 8;

/**
 * Parses YAML text (every scalar as text) and validates it with a zod schema. Every
 * problem becomes one line `file:line:col: field.path: message`, in file order, in a
 * single KilnError with the given code.
 */
export function parseYamlWithSchema<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  code: KilnErrorCode = 'CONFIG_INVALID',
): { readonly source: YamlSource; readonly value: z.output<S> } {
  const source = parseYamlSource(text, file);
  const r = schema.safeParse(source.value ?? {});
  if (!r.success) throw yamlSchemaError(source, r.error, code);
  return { source, value: r.data };
}

/** Turns zod issues into `file:line:col: field: message` lines, unknown keys at the key. */
export function yamlSchemaError(source: YamlSource, error: z.ZodError, code: KilnErrorCode = 'CONFIG_INVALID'): KilnError {
  const lines: { line: number; col: number; text: string }[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const at = source.locate(path, true);
        lines.push({ ...at, text: `${formatPath(path)}: unknown key ${JSON.stringify(key)}` });
      }
      continue;
    }
    const at = source.locate(issue.path);
    lines.push({ ...at, text: `${formatPath(issue.path)}: ${issue.message}` });
  }
  // Report in file order, so the first line is the first problem a reader meets.
  lines.sort((a, b) => a.line - b.line || a.col - b.col);
  const shown = lines.slice(0, MAX_LISTED).map((l) => `${source.file}:${l.line}:${l.col}: ${l.text}`);
  if (lines.length > MAX_LISTED) shown.push(`(and ${lines.length - MAX_LISTED} more problems)`);
  return new KilnError(code, shown.join('\n'), { cause: error });
}
