import { KilnError } from '../errors/index.ts';
import { comparePaths } from './apk-file.ts';
import { formatApkConstraint, parseApkConstraint, type ApkConstraint } from './constraint.ts';
import type { Requirement } from './solver-universe.ts';

/** One world constraint and where it came from, e.g. `image.yaml contents.packages[2]`. */
export type ApkWorldEntry = { readonly constraint: string | ApkConstraint; readonly origin: string };

/**
 * The world as requirements: parsed, merged when the same constraint appears twice
 * (keeping every origin) and sorted, so the order of the input never changes the result.
 */
export function worldRequirements(world: readonly ApkWorldEntry[]): Requirement[] {
  const byText = new Map<string, { constraint: ApkConstraint; origins: Set<string> }>();
  for (const w of world) {
    let constraint: ApkConstraint;
    try {
      constraint = typeof w.constraint === 'string' ? parseApkConstraint(w.constraint) : w.constraint;
    } catch (e) {
      throw new KilnError('CONSTRAINT_INVALID', `${w.origin}: ${(e as Error).message}`, { cause: e });
    }
    const text = formatApkConstraint(constraint);
    const group = byText.get(text) ?? { constraint, origins: new Set<string>() };
    group.origins.add(w.origin);
    byText.set(text, group);
  }
  return [...byText.entries()]
    // entries naming a repository tag go first, so `busybox@local` picks the package
    // before a plain `busybox` elsewhere in the world would settle for the untagged one
    .sort(([a, ga], [b, gb]) => Number(ga.constraint.tag === undefined) - Number(gb.constraint.tag === undefined) || comparePaths(a, b))
    .map(([text, { constraint, origins }]) => ({
      constraint,
      text,
      source: { kind: 'world', origins: [...origins].sort(comparePaths) },
      allowedTags: constraint.tag !== undefined ? [constraint.tag] : [],
      preferredTag: constraint.tag,
    }));
}
