import { KilnError } from '../errors/index.ts';
import { assertTag } from '../oci/index.ts';
import { parseInstant } from './schedules.ts';

/** `2025-03-07T00:38:59Z` → `202503070038`: UTC to the minute. */
export function timestampOf(at: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(at.getUTCFullYear(), 4)}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}`;
}

// A day of minutes: more publications of one version and variant than that in a row
// means something is looping, not that a tag is needed.
const MAX_MINUTES_AHEAD = 24 * 60;

/**
 * `BASE-YYYYMMDDHHMM` for the publication time `at` (ISO), e.g. `1.27.4-202503070038`
 * or `8.17.2-dev-202503040032`. When that tag is taken (two publications of one version
 * in one minute), the next free minute: timestamp tags are unique and never move.
 */
export function timestampTag(base: string, at: string, taken: ReadonlySet<string>): string {
  const start = parseInstant(at, 'publication time').getTime();
  for (let i = 0; i <= MAX_MINUTES_AHEAD; i++) {
    const tag = `${base}-${timestampOf(new Date(start + i * 60_000))}`;
    if (!taken.has(tag)) return assertTag(tag, 'timestamp tag');
  }
  throw new KilnError('TAG_INVALID', `${base}: every timestamp tag for the ${MAX_MINUTES_AHEAD} minutes from ${at} is taken`);
}
