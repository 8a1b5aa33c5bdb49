import { z } from 'zod';

// Recipe-only building blocks; the shared ones (text, list, map, object, uint, bool)
// live in src/yaml and are re-exported here so the recipe schemas import one place.
export { describeFound, text, list, map, object, parseYamlUint, uint, bool } from '../yaml/index.ts';
import { describeFound, text } from '../yaml/index.ts';

/** Any YAML value, kept as parsed (for keys kiln accepts but does not use). */
export const anyYaml = z.unknown();

const GO_DURATION = /^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^0$/;
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`1h30m`, `90s`), as time.Duration fields are written. */
export const goDuration = text.transform((s, ctx) => {
  const t = s.trim();
  if (!GO_DURATION.test(t)) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 90m or 2h30m, found ${describeFound(s)}` });
    return z.NEVER;
  }
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 0);
  return { text: t, ms: Math.round(t.startsWith('-') ? -ms : ms) };
});
