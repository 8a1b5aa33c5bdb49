import { createHash } from 'node:crypto';

/**
 * A UUID (version 8, RFC 9562) derived from a name. pg-boss inserts a job whose id is
 * taken already as nothing, so every process that sends "the daily cycle of 2026-03-01"
 * or "image app of cycle X" under the same name makes one job between them.
 */
export function stableJobId(name: string): string {
  const b = createHash('sha256').update(`kiln-job\0${name}`).digest().subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x80; // version 8: custom
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
