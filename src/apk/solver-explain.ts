import { formatApkConstraint } from './constraint.ts';
import type { Clash, Failure } from './solver-search.ts';
import type { Exclusion, Exclusions } from './solver-static.ts';
import { candidateTag, meets, rankFor, repositoryLabel, tagAllowed, type Candidate, type Requirement, type Universe } from './solver-universe.ts';
import { compareApkVersions } from './version.ts';

/*
 * Error texts for a world with no solution. They name the constraints that clash and
 * where each came from (an origin such as `image.yaml contents.packages[2]`, or the
 * chain of packages that pulled a dependency in), so the reader can fix the config.
 */

const MAX_DEPTH = 4;
const MAX_LISTED = 2;

type Chains = ReadonlyMap<Candidate, Requirement> | undefined;

/** `image.yaml contents.packages[0] "a"`, or `"c<2" required by a-1.0-r0 (required by …)`. */
export function describeRequirement(r: Requirement, chains?: Chains, depth = 0): string {
  switch (r.source.kind) {
    case 'world':
      return `${r.source.origins.join(', ')} "${r.text}"`;
    case 'package':
      return `"${r.text}" required by ${describeChosen(r.source.candidate, chains, depth)}`;
    case 'install-if':
      return `${r.source.candidate.label} (its install_if "${r.source.candidate.entry.installIf.map(formatApkConstraint).join(' ')}" is met)`;
  }
}

/** A package and, when known, what pulled it in. */
function describeChosen(c: Candidate, chains: Chains, depth: number): string {
  const why = chains?.get(c);
  if (why === undefined) return c.label;
  if (depth >= MAX_DEPTH) return `${c.label} (…)`;
  switch (why.source.kind) {
    case 'world':
      return `${c.label} (required by ${describeRequirement(why)})`;
    case 'package':
      return `${c.label} (required by ${describeChosen(why.source.candidate, chains, depth + 1)})`;
    case 'install-if':
      return `${c.label} (by its install_if)`;
  }
}

function repoList(cs: readonly Candidate[]): string {
  return [...new Set(cs.map((c) => repositoryLabel(c.repository)))].join(', ');
}

/** Why no package can serve `r` at all (before looking at what else is chosen). */
export function explainRequirement(universe: Universe, exclusions: Exclusions, r: Requirement, depth = 0, ignoreTags = false): string {
  const name = r.constraint.name;
  const providers = universe.providers(name).map((p) => p.candidate);
  if (providers.length === 0) return `no package in the repositories (${universe.repositories.map(repositoryLabel).join(', ') || 'none'}) provides ${name}`;
  const meeting = providers.filter((c) => meets(c, r.constraint));
  if (meeting.length === 0) return describeNewest(name, providers, r);
  const allowed = ignoreTags ? meeting : meeting.filter((c) => tagAllowed(c, r));
  if (allowed.length === 0) {
    const tags = [...new Set(meeting.map((c) => candidateTag(c)))].map((t) => `@${t}`);
    const hint = r.source.kind === 'world' && tags.length === 1 ? `; write ${name}${tags[0]}` : '';
    const missing = r.constraint.tag !== undefined && !universe.repositories.some((repo) => repo.tag === r.constraint.tag) ? ` (no repository is tagged @${r.constraint.tag})` : '';
    return `${name} is only in repositories tagged ${tags.join(', ')} (${repoList(meeting)})${missing}${hint}`;
  }
  const ranked = ignoreTags ? allowed : rankFor(universe, r);
  return listGrouped(ranked.map((c) => ({ candidate: c, describe: () => describeExclusion(universe, exclusions, c, depth) })));
}

const MAX_DESCRIBED = 20;

/**
 * `a-2 requires "c<2", but …; b-1 …`: candidates whose reasons read the same are
 * named together (`a-2 (and a-1)`), so forty versions failing alike make one line.
 */
function listGrouped(items: readonly { readonly candidate: Candidate; readonly describe: () => string }[]): string {
  const groups = new Map<string, Candidate[]>();
  for (const item of items.slice(0, MAX_DESCRIBED)) {
    const text = item.describe();
    groups.set(text, [...(groups.get(text) ?? []), item.candidate]);
  }
  const shown = [...groups].slice(0, MAX_LISTED);
  const lines = shown.map(([text, cs]) => {
    const others = cs.slice(1, 4).map((c) => c.label);
    const rest = cs.length - 1 - others.length;
    const also = others.length === 0 ? '' : ` (and ${others.join(', ')}${rest > 0 ? ` and ${rest} more` : ''})`;
    return `${(cs[0] as Candidate).label}${also} ${text}`;
  });
  const hidden = items.length - shown.reduce((n, [, cs]) => n + cs.length, 0);
  return `${lines.join('; ')}${hidden > 0 ? ` (and ${hidden} other candidates)` : ''}`;
}

function describeNewest(name: string, providers: readonly Candidate[], r: Requirement): string {
  const own = providers.filter((c) => c.entry.name === name);
  if (r.constraint.match.kind === 'checksum') return `no ${name} in the repositories has checksum ${r.constraint.match.checksum}`;
  if (own.length > 0) {
    const newest = own.reduce((a, b) => (compareApkVersions(b.entry.version, a.entry.version) > 0 ? b : a));
    const same = own.filter((c) => c.entry.version === newest.entry.version);
    return `the newest ${name} in the repositories is ${newest.entry.version} (${repoList(same)})`;
  }
  const versioned = providers.flatMap((c) => {
    const v = c.names.find((n) => n.name === name)?.version;
    return v !== undefined ? [{ c, v }] : [];
  });
  if (versioned.length === 0) {
    return `${name} is provided only without a version (by ${providers.map((c) => c.label).slice(0, 3).join(', ')}), which cannot meet a version constraint`;
  }
  const best = versioned.reduce((a, b) => (compareApkVersions(b.v, a.v) > 0 ? b : a));
  return `the newest ${name} provided is ${name}=${best.v} by ${best.c.label} (${repositoryLabel(best.c.repository)})`;
}

function describeExclusion(universe: Universe, exclusions: Exclusions, c: Candidate, depth: number): string {
  const ex: Exclusion | undefined = exclusions.get(c);
  if (ex === undefined) return 'is not excluded';
  switch (ex.kind) {
    case 'world':
      return `conflicts with ${describeRequirement(ex.by)}`;
    case 'dependency':
      if (depth >= MAX_DEPTH) return `requires "${ex.requirement.text}", which cannot be met (…)`;
      return `requires "${ex.requirement.text}", but ${explainRequirement(universe, exclusions, ex.requirement, depth + 1, true)}`;
  }
}

function describeClash(universe: Universe, exclusions: Exclusions, c: Candidate, clash: Clash, chains: Chains): string {
  switch (clash.kind) {
    case 'excluded':
      return describeExclusion(universe, exclusions, c, 1);
    case 'name':
      return clash.name === clash.holder.entry.name && clash.name === c.entry.name
        ? `cannot replace ${describeChosen(clash.holder, chains, 0)}`
        : `cannot be installed next to ${describeChosen(clash.holder, chains, 0)}: both provide ${clash.name}`;
    case 'conflict':
      return `conflicts with ${describeRequirement(clash.by, chains)}`;
    case 'forbids':
      return `requires "${clash.conflict.text}", which rules out ${describeChosen(clash.holder, chains, 0)}`;
    case 'requires':
      return `requires "${clash.requirement.text}", which conflicts with ${describeChosen(clash.holder, chains, 0)}`;
  }
}

/** The first dead end of the search: the requirement and why each of its candidates failed. */
export function explainFailure(universe: Universe, exclusions: Exclusions, failure: Failure): string {
  const { requirement: r, options, chosenFor } = failure;
  const head = describeRequirement(r, chosenFor);
  if (options.length === 0) return `${head}: ${explainRequirement(universe, exclusions, r)}`;
  return `${head}: ${listGrouped(options.map((o) => ({ candidate: o.candidate, describe: () => describeClash(universe, exclusions, o.candidate, o.clash, chosenFor) })))}`;
}
