import { meets, type Candidate, type Requirement, type Universe } from './solver-universe.ts';

/** Why a package can never be part of the solution, whatever else is chosen. */
export type Exclusion =
  /** A world constraint rules it out: a conflict (`!c`), or a pin on a name it takes (`c=2`). */
  | { readonly kind: 'world'; readonly by: Requirement }
  /** One of its dependencies has no package left that could serve it. */
  | { readonly kind: 'dependency'; readonly requirement: Requirement };

export type Exclusions = ReadonlyMap<Candidate, Exclusion>;

/**
 * Packages ruled out before searching, so that a pin deep in the world makes every
 * version depending against it drop out at once instead of being tried one by one
 * (and so that the error can say which constraints clash). Only packages reachable
 * from the world are looked at.
 */
export function findExclusions(universe: Universe, world: readonly Requirement[]): Exclusions {
  const excluded = new Map<Candidate, Exclusion>();
  const reachable = reachableFrom(universe, world);

  for (const r of world) {
    for (const { candidate: c, version } of universe.providers(r.constraint.name)) {
      if (excluded.has(c)) continue;
      if (r.constraint.conflict) {
        if (!meets(c, r.constraint)) excluded.set(c, { kind: 'world', by: r });
        continue;
      }
      // Something meeting r must take its name; a package that takes the name with a
      // version shares it with nobody, and one without a version cannot meet a
      // versioned requirement, so any package taking the name without meeting r is out.
      // (Tags are left to the search: another world entry may name the tag.)
      if (!meets(c, r.constraint) && (version !== undefined || r.constraint.match.kind !== 'any')) excluded.set(c, { kind: 'world', by: r });
    }
  }

  // which packages depend on a name: to recheck them when a provider drops out
  const dependents = new Map<string, Candidate[]>();
  for (const c of reachable) {
    for (const r of c.requirements) {
      const list = dependents.get(r.constraint.name) ?? [];
      list.push(c);
      dependents.set(r.constraint.name, list);
    }
  }
  const queue = [...reachable];
  const queued = new Set(queue);
  for (let i = 0; i < queue.length; i++) {
    const c = queue[i] as Candidate;
    queued.delete(c);
    if (excluded.has(c)) continue;
    // tags are left out here: a package from a tagged repository may be chosen for
    // another requirement and then serve this one too
    const dead = c.requirements.find((r) => !universe.providers(r.constraint.name).some((p) => !excluded.has(p.candidate) && meets(p.candidate, r.constraint)));
    if (dead === undefined) continue;
    excluded.set(c, { kind: 'dependency', requirement: dead });
    for (const n of c.names) {
      for (const d of dependents.get(n.name) ?? []) {
        if (!queued.has(d) && !excluded.has(d)) {
          queue.push(d);
          queued.add(d);
        }
      }
    }
  }
  return excluded;
}

function reachableFrom(universe: Universe, world: readonly Requirement[]): Candidate[] {
  const seenNames = new Set<string>();
  const seen = new Set<Candidate>();
  const names = world.filter((r) => !r.constraint.conflict).map((r) => r.constraint.name);
  const visit = (c: Candidate): void => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const r of c.requirements) names.push(r.constraint.name);
  };
  // install_if packages may join later; their dependencies are checked too
  for (const c of universe.installIf) visit(c);
  while (names.length > 0) {
    const name = names.pop() as string;
    if (seenNames.has(name)) continue;
    seenNames.add(name);
    for (const p of universe.providers(name)) visit(p.candidate);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}
