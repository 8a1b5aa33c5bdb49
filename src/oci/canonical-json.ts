import { KilnError } from '../errors/index.ts';

/**
 * Deterministic JSON for everything kiln writes: object keys sorted by code point,
 * no insignificant whitespace, `undefined` members dropped. The same value always
 * gives the same bytes, so the same manifest always gives the same digest.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new KilnError('INPUT_INVALID', `canonical JSON: ${path} is ${value}, which JSON cannot represent`);
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => (v === undefined ? 'null' : write(v, `${path}[${i}]`))).join(',')}]`;
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new KilnError('INPUT_INVALID', `canonical JSON: ${path} is a ${typeof value}, which JSON cannot represent`);
  }
}
