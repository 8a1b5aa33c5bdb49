import { KilnError } from '../errors/index.ts';

/** When the factory runs its periodic work. Times are UTC; intervals are whole minutes. */
export type Schedules = {
  /** The daily rebuild cycle, minutes after 00:00 UTC (`"02:00"` → 120). */
  readonly dailyMinuteUtc: number;
  /** How often upstream release feeds are polled, in minutes. */
  readonly upstreamEveryMinutes: number;
  /** How often vulnerability feeds are synced, in minutes. */
  readonly vulnerabilitiesEveryMinutes: number;
};

export const DEFAULT_SCHEDULES: Schedules = {
  dailyMinuteUtc: 2 * 60,
  upstreamEveryMinutes: 6 * 60,
  vulnerabilitiesEveryMinutes: 4 * 60,
};

const UNIT_MINUTES: Readonly<Record<string, number>> = { m: 1, h: 60, d: 24 * 60 };

/**
 * `30m`, `6h`, `1h30m`, `2d` → minutes. Seconds are refused on purpose: nothing the
 * factory schedules should poll a feed more than once a minute. Returns undefined for
 * anything else, so the schema can say what it found.
 */
export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (!/^(?:[0-9]+[dhm])+$/.test(t)) return undefined;
  let minutes = 0;
  let lastRank = Infinity;
  for (const [, n, unit] of t.matchAll(/([0-9]+)([dhm])/g)) {
    const per = UNIT_MINUTES[unit ?? ''] ?? 0;
    // `30m1h` is a typo more often than an intent: units must go from large to small
    if (per >= lastRank) return undefined;
    lastRank = per;
    minutes += Number(n) * per;
  }
  return minutes > 0 && Number.isSafeInteger(minutes) ? minutes : undefined;
}

/** `"02:00"` → 120 (minutes after midnight UTC); undefined unless HH:MM with 00–23 and 00–59. */
export function parseTimeOfDay(s: string): number | undefined {
  const m = /^([01][0-9]|2[0-3]):([0-5][0-9])$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * 60 + Number(m[2]);
}

/** `HH:MM` for a minute of the day, for messages and `kiln factory` output. */
export function formatTimeOfDay(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/**
 * The first daily run strictly after `now` (an ISO time; the caller's clock, or `--now`).
 * Pure: the scheduler asks this instead of reading the clock itself.
 */
export function nextDailyRun(schedules: Schedules, now: string): string {
  const t = parseInstant(now, 'now');
  const day = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
  let next = day.getTime() + schedules.dailyMinuteUtc * 60_000;
  if (next <= t.getTime()) next += 24 * 60 * 60_000;
  return new Date(next).toISOString();
}

/** An ISO-8601 time with an explicit zone (`Z` or `±HH:MM`); anything else is a usage error. */
export function parseInstant(s: string, where: string): Date {
  const ok = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})$/.test(s);
  const d = new Date(s);
  if (!ok || Number.isNaN(d.getTime())) {
    throw new KilnError('USAGE', `${where}: expected an ISO-8601 time with a zone such as 2025-03-07T00:38:00Z, found ${JSON.stringify(s)}`);
  }
  return d;
}
