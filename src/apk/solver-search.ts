import { satisfies } from './constraint.ts';
import type { Exclusion, Exclusions } from './solver-static.ts';
import { candidateTag, meets, rankFor, type Candidate, type Requirement, type Universe } from './solver-universe.ts';
import type { ApkVersion } from './version.ts';

/** Why a package could not be added next to what was already chosen. */
export type Clash =
  | { readonly kind: 'excluded'; readonly exclusion: Exclusion }
  /** Both take `name` (only packages providing it without a version may share a name). */
  | { readonly kind: 'name'; readonly name: string; readonly holder: Candidate }
  /** A conflict (`!x`) of the world or of a chosen package rules it out. */
  | { readonly kind: 'conflict'; readonly by: Requirement }
  /** Its own conflict (`!x`) rules out a chosen package. */
  | { readonly kind: 'forbids'; readonly conflict: Requirement; readonly holder: Candidate }
  /** It needs a name that a chosen package already takes without meeting the requirement. */
  | { readonly kind: 'requires'; readonly requirement: Requirement; readonly holder: Candidate };

/** A requirement that nothing could serve, at the first dead end of the search. */
export type Failure = {
  readonly requirement: Requirement;
  readonly options: readonly { readonly candidate: Candidate; readonly clash: Clash }[];
  /** Which requirement pulled in each package chosen at that point. */
  readonly chosenFor: ReadonlyMap<Candidate, Requirement>;
};

export type SearchOutcome =
  | { readonly ok: true; readonly chosen: readonly Candidate[]; readonly chosenFor: ReadonlyMap<Candidate, Requirement> }
  | { readonly ok: false; readonly failure: Failure | undefined; readonly steps: number; readonly gaveUp: boolean };

export type SearchOptions = { readonly installIf: boolean; readonly maxSteps: number };

type Holder = { readonly candidate: Candidate; readonly version: ApkVersion | undefined };

class GaveUp {}

/**
 * Depth-first search over the requirements in a fixed order (world first, then
 * dependencies as packages join), trying each requirement's candidates best first and
 * backing up on a dead end. Dead-end states (the set of chosen packages determines
 * everything else) are remembered, so no state is explored twice.
 */
export function search(universe: Universe, exclusions: Exclusions, world: readonly Requirement[], options: SearchOptions): SearchOutcome {
  const chosen: Candidate[] = [];
  const chosenIds = new Set<number>();
  const holders = new Map<string, Holder[]>();
  const conflicts = new Map<string, Requirement[]>();
  const requirements: Requirement[] = world.filter((r) => !r.constraint.conflict);
  const chosenFor = new Map<Candidate, Requirement>();
  const deadEnds = new Set<string>();
  const skippedInstallIf = new Set<Candidate>();
  const ranked = new Map<Requirement, Candidate[]>();
  // Repository tags a chosen package passes on to its dependencies: its own, and those
  // its requirer could use (apk's inherited pinning), so `top@local` → mid → deep may
  // take deep from @local even when mid comes from an untagged repository.
  const inherited = new Map<Candidate, readonly string[]>();
  const tagged = universe.repositories.some((repo) => repo.tag !== undefined);
  let failure: Failure | undefined;
  let steps = 0;

  const push = <T>(map: Map<string, T[]>, key: string, value: T): void => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const r of world) if (r.constraint.conflict) push(conflicts, r.constraint.name, r);

  const rank = (r: Requirement): Candidate[] => {
    let list = ranked.get(r);
    if (list === undefined) {
      list = rankFor(universe, r, true);
      ranked.set(r, list);
    }
    return list;
  };
  // a chosen package meets a requirement whatever its repository: tags only limit what is newly chosen
  const satisfied = (r: Requirement): boolean => (holders.get(r.constraint.name) ?? []).some((h) => meets(h.candidate, r.constraint));

  const clashOf = (c: Candidate): Clash | undefined => {
    const exclusion = exclusions.get(c);
    if (exclusion) return { kind: 'excluded', exclusion };
    for (const n of c.names) {
      for (const h of holders.get(n.name) ?? []) {
        if (h.candidate !== c && !(h.version === undefined && n.version === undefined)) return { kind: 'name', name: n.name, holder: h.candidate };
      }
    }
    for (const n of c.names) {
      for (const k of conflicts.get(n.name) ?? []) {
        if (!satisfies(k.constraint, n.name, n.version, c.entry.checksum)) return { kind: 'conflict', by: k };
      }
    }
    for (const k of c.conflicts) {
      for (const h of holders.get(k.constraint.name) ?? []) {
        if (h.candidate !== c && !meets(h.candidate, k.constraint)) return { kind: 'forbids', conflict: k, holder: h.candidate };
      }
    }
    for (const r of c.requirements) {
      const hs = holders.get(r.constraint.name) ?? [];
      if (hs.length === 0 || hs.some((h) => meets(h.candidate, r.constraint))) continue;
      // another provider could still join only if nobody takes the name with a version
      if (r.constraint.match.kind === 'any' && hs.every((h) => h.version === undefined)) continue;
      return { kind: 'requires', requirement: r, holder: (hs[0] as Holder).candidate };
    }
    return undefined;
  };
  const tagsFor = (r: Requirement): readonly string[] => {
    if (r.source.kind !== 'package') return r.allowedTags;
    const more = inherited.get(r.source.candidate) ?? [];
    return more.length === 0 ? r.allowedTags : [...new Set([...r.allowedTags, ...more])];
  };
  const inTags = (c: Candidate, tags: readonly string[]): boolean => {
    const tag = candidateTag(c);
    return tag === undefined || tags.includes(tag);
  };
  const allowedFor = (r: Requirement): Candidate[] => {
    if (!tagged) return rank(r);
    const tags = tagsFor(r);
    return rank(r).filter((c) => inTags(c, tags));
  };
  const hasOption = (r: Requirement): boolean => allowedFor(r).some((c) => !chosenIds.has(c.id) && clashOf(c) === undefined);
  const noteFailure = (r: Requirement): void => {
    failure ??= {
      requirement: r,
      options: allowedFor(r).flatMap((candidate) => {
        const clash = clashOf(candidate);
        return clash ? [{ candidate, clash }] : [];
      }),
      chosenFor: new Map(chosenFor),
    };
  };

  const choose = (c: Candidate, why: Requirement): void => {
    chosen.push(c);
    chosenIds.add(c.id);
    chosenFor.set(c, why);
    if (tagged) {
      const tag = candidateTag(c);
      const tags = [...new Set([...(tag !== undefined ? [tag] : []), ...tagsFor(why)])].sort();
      if (tags.length > 0) inherited.set(c, tags);
    }
    for (const n of c.names) push(holders, n.name, { candidate: c, version: n.version });
    for (const k of c.conflicts) push(conflicts, k.constraint.name, k);
    requirements.push(...c.requirements);
  };
  const unchoose = (c: Candidate): void => {
    requirements.length -= c.requirements.length;
    for (const k of c.conflicts) conflicts.get(k.constraint.name)?.pop();
    for (const n of c.names) holders.get(n.name)?.pop();
    chosenFor.delete(c);
    inherited.delete(c);
    chosenIds.delete(c.id);
    chosen.pop();
  };

  /** A requirement left without options by choosing `c`: its own, or a pending one it touches. */
  const brokenBy = (c: Candidate, from: number): Requirement | undefined => {
    for (const r of c.requirements) if (!satisfied(r) && !hasOption(r)) return r;
    const touched = new Set([...c.names.map((n) => n.name), ...c.conflicts.map((k) => k.constraint.name)]);
    for (let i = from; i < requirements.length - c.requirements.length; i++) {
      const r = requirements[i] as Requirement;
      if (touched.has(r.constraint.name) && !satisfied(r) && !hasOption(r)) return r;
    }
    return undefined;
  };

  // the chosen set fixes everything else, but for the tags each package passes on
  const stateKey = (): string => {
    const ids = [...chosenIds].sort((a, b) => a - b);
    if (!tagged) return ids.join(',');
    return chosen
      .map((c) => `${c.id}${(inherited.get(c) ?? []).map((t) => `@${t}`).join('')}`)
      .sort()
      .join(',');
  };

  const descend = (from: number): boolean => {
    if (++steps > options.maxSteps) throw new GaveUp();
    let i = from;
    while (i < requirements.length && satisfied(requirements[i] as Requirement)) i++;
    if (i === requirements.length) {
      if (options.installIf) addInstallIf(i);
      return true;
    }
    // (no dead end yet, no key needed: the common, conflict-free case stays linear)
    if (deadEnds.size > 0 && deadEnds.has(stateKey())) return false;
    const r = requirements[i] as Requirement;
    let tried = false;
    // each candidate is checked only when its turn comes: usually the first one fits
    for (const c of allowedFor(r)) {
      if (chosenIds.has(c.id) || clashOf(c) !== undefined) continue;
      tried = true;
      choose(c, r);
      const broken = brokenBy(c, i + 1);
      if (broken !== undefined) noteFailure(broken);
      else if (descend(i + 1)) return true;
      unchoose(c);
    }
    if (!tried) noteFailure(r);
    deadEnds.add(stateKey());
    return false;
  };

  /** install_if packages whose conditions the chosen set meets join when they fit; else they are left out. */
  const addInstallIf = (from: number): void => {
    for (;;) {
      const c = universe.installIf.find((p) => triggered(p));
      if (c === undefined) return;
      const why = installIfRequirement(c);
      choose(c, why);
      if (brokenBy(c, from) === undefined && descend(from)) return;
      unchoose(c);
      skippedInstallIf.add(c);
    }
  };
  const triggered = (c: Candidate): boolean => {
    if (skippedInstallIf.has(c) || chosenIds.has(c.id) || (holders.get(c.entry.name)?.length ?? 0) > 0) return false;
    const tag = candidateTag(c);
    if (tag !== undefined && !chosen.some((p) => candidateTag(p) === tag)) return false;
    const met = c.entry.installIf.every((k) =>
      k.conflict
        ? (holders.get(k.name) ?? []).every((h) => meets(h.candidate, k))
        : (holders.get(k.name) ?? []).some((h) => meets(h.candidate, k)),
    );
    return met && clashOf(c) === undefined;
  };

  try {
    if (descend(0)) return { ok: true, chosen: [...chosen], chosenFor: new Map(chosenFor) };
    return { ok: false, failure, steps, gaveUp: false };
  } catch (e) {
    if (e instanceof GaveUp) return { ok: false, failure, steps, gaveUp: true };
    throw e;
  }
}

/** The requirement an install_if package joins under (its own name and version). */
function installIfRequirement(c: Candidate): Requirement {
  const tag = candidateTag(c);
  return {
    constraint: { name: c.entry.name, conflict: false, match: { kind: 'version', op: '=', version: c.entry.version } },
    text: `${c.entry.name}=${c.entry.version}`,
    source: { kind: 'install-if', candidate: c },
    allowedTags: tag !== undefined ? [tag] : [],
    preferredTag: tag,
  };
}
