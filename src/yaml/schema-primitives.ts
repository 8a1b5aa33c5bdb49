import { z } from 'zod';

/**
 * zod building blocks for YAML read with the failsafe schema (every scalar is text):
 * fields melange and apko type as int or bool are converted here, everything else stays
 * text. Messages say what was expected and what was found.
 */

/** `found "abc"`, `found a mapping`: what the user wrote, for messages. */
export function describeFound(v: unknown): string {
  if (v === undefined || v === null) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

export const text = z.string({ error: (iss) => `expected text, found ${describeFound(iss.input)}` });

export const list = <T extends z.ZodType>(item: T) =>
  z.array(item, { error: (iss) => `expected a list, found ${describeFound(iss.input)}` });

export const map = <T extends z.ZodType>(value: T) =>
  z.record(z.string(), value, { error: (iss) => `expected a mapping, found ${describeFound(iss.input)}` });

/** A mapping whose keys are all known: unknown keys are errors, as melange's KnownFields(true) makes them. */
export const object = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, {
    error: (iss) => (iss.code === 'invalid_type' ? `expected a mapping, found ${describeFound(iss.input)}` : undefined),
  });

/** Text → a whole number, as Go's yaml.v3 reads an unsigned int (decimal, 0o/0x, and 0-prefixed octal). */
export function parseYamlUint(s: string): number | undefined {
  const t = s.trim().replace(/_/g, '');
  let n: number;
  if (/^\+?[0-9]+$/.test(t) && !/^\+?0[0-9]/.test(t)) n = Number(t);
  else if (/^0o[0-7]+$/.test(t)) n = parseInt(t.slice(2), 8);
  else if (/^0[0-7]+$/.test(t)) n = parseInt(t.slice(1), 8);
  else if (/^0x[0-9a-fA-F]+$/.test(t)) n = parseInt(t.slice(2), 16);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}

export const uint = z
  .string({ error: (iss) => `expected a whole number, found ${describeFound(iss.input)}` })
  .transform((s, ctx) => {
    const n = parseYamlUint(s);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a whole number, found ${describeFound(s)}` });
      return z.NEVER;
    }
    return n;
  });

/** YAML 1.1 and 1.2 spellings that Go's yaml.v3 accepts for a bool field. */
const TRUE = /^(true|True|TRUE|yes|Yes|YES|on|On|ON|y|Y)$/;
const FALSE = /^(false|False|FALSE|no|No|NO|off|Off|OFF|n|N)$/;

export const bool = z
  .string({ error: (iss) => `expected true or false, found ${describeFound(iss.input)}` })
  .transform((s, ctx) => {
    if (TRUE.test(s)) return true;
    if (FALSE.test(s)) return false;
    ctx.addIssue({ code: 'custom', message: `expected true or false, found ${describeFound(s)}` });
    return z.NEVER;
  });

/** A whole number no larger than `max` (uid, gid, permissions). */
export const uintMax = (max: number) =>
  uint.refine((n) => n <= max, { message: `expected a whole number from 0 to ${max}` });
