import { compareApkVersions, type ApkVersion } from '../apk/index.ts';
import { describeError } from '../errors/index.ts';
import type { CatalogImage, CatalogLine, CatalogVariant } from './catalog-image.ts';
import { describeInputChanges } from './describe-input-changes.ts';
import { newestPublication, type Publication } from './history-reader.ts';
import { newestVersion, upstreamVersion } from './image-version.ts';
import { inputFingerprint, sortPackages, type ImageInputs, type InputFingerprint, type ResolvedPackage } from './input-fingerprint.ts';
import { describeFrozen, isEndOfLife, lineAdmits, lineMaintenance, type LineMaintenance } from './maintenance.ts';
import { parseInstant } from './schedules.ts';
import { triggerPackages, type Trigger } from './trigger.ts';

/** What the resolver is asked: this image's config plus the variant's packages, with the line's constraint on the primary package. */
export type ResolveTarget = { readonly image: CatalogImage; readonly line: CatalogLine; readonly variant: CatalogVariant };

/**
 * Resolves a target against the current repositories (the solver, injected so that
 * planning stays pure). Throws (a KilnError such as UNSATISFIABLE) when it cannot.
 */
export type Resolver = (target: ResolveTarget) => readonly ResolvedPackage[];

export type CycleDecision =
  | { readonly kind: 'skip'; readonly reason: string }
  | {
      readonly kind: 'build';
      readonly reason: string;
      /** The first publication of this version: a new version tag, and the line's previous version is frozen. */
      readonly newVersion: boolean;
      readonly primaryVersion: ApkVersion;
      readonly inputs: ImageInputs;
      readonly fingerprint: InputFingerprint;
    }
  | { readonly kind: 'failed'; readonly reason: string; readonly error?: unknown };

/** One image version in one variant, and what the cycle will do with it. */
export type PlannedItem = {
  readonly image: string;
  readonly line: string;
  readonly variant: string;
  /** The image version; absent when none is published and none could be resolved. */
  readonly version?: ApkVersion;
  /** `nginx:1.27.4`, `app:8.17.2-dev`, `nginx (line 1.27)`. */
  readonly label: string;
  readonly decision: CycleDecision;
};

export type CyclePlan = { readonly now: string; readonly trigger: Trigger; readonly items: readonly PlannedItem[] };

export type PlanCycleInput = {
  readonly catalog: readonly CatalogImage[];
  /** The cycle's clock (`--now`); nothing in the plan reads the real one. */
  readonly now: string;
  /** What the store knows; at least the newest publication of every image version and variant. */
  readonly history: readonly Publication[];
  readonly resolve: Resolver;
  readonly assemblerVersion: string;
  readonly trigger: Trigger;
  /** Only these images (`kiln factory run --image NAME`). */
  readonly only?: readonly string[];
};

/**
 * Decides, for every image version of every line and variant in the catalog, whether
 * this cycle builds it, skips it or cannot handle it — one item each, never silence.
 *
 * Per line and variant: the resolver says which primary-package version the
 * repositories offer within the line's constraint. The newest of that and the published
 * versions is maintained; every other version is frozen and skipped with the reason. The
 * maintained version is built when it is new or when its input fingerprint differs from
 * its last publication's, and skipped ("no package changed") otherwise. An end-of-life
 * line is skipped whole, without resolving. A trigger limited to packages
 * (`urgent-fix`, `package-updated`) builds only image versions containing one of them.
 */
export function planCycle(input: PlanCycleInput): CyclePlan {
  parseInstant(input.now, 'now');
  const only = input.only === undefined ? undefined : new Set(input.only);
  const items: PlannedItem[] = [];
  for (const image of input.catalog) {
    if (only !== undefined && !only.has(image.name)) continue;
    const pubs = input.history.filter((p) => p.image === image.name);
    // Lines are meant to be disjoint; two lines maintaining one version would publish it twice.
    const claimed = new Map<string, string>();
    for (const line of image.lines) {
      for (const variant of image.variants) {
        const mine = pubs.filter((p) => p.line === line.name && p.variant === variant.name);
        const { head, frozen } = planLineVariant(input, image, line, variant, mine);
        if (head !== undefined && head.version !== undefined && head.decision.kind !== 'failed') {
          const key = `${variant.name}\0${head.version}`;
          const other = claimed.get(key);
          if (other === undefined) claimed.set(key, line.name);
          else {
            const reason = `${image.primaryPackage} ${head.version} is also in line ${other}: the lines' constraints overlap (${line.name}: ${line.constraint})`;
            items.push({ ...head, decision: { kind: 'failed', reason } }, ...frozen);
            continue;
          }
        }
        items.push(...(head === undefined ? [] : [head]), ...frozen);
      }
    }
  }
  return { now: input.now, trigger: input.trigger, items };
}

/** The maintained version's item (absent at end of life), then the frozen versions, newest first. */
type LinePlan = { readonly head?: PlannedItem; readonly frozen: readonly PlannedItem[] };

function planLineVariant(input: PlanCycleInput, image: CatalogImage, line: CatalogLine, variant: CatalogVariant, pubs: readonly Publication[]): LinePlan {
  const item = (version: ApkVersion | undefined, decision: CycleDecision): PlannedItem => ({
    image: image.name,
    line: line.name,
    variant: variant.name,
    ...(version !== undefined && { version }),
    label: version !== undefined ? `${image.name}:${version}${variant.suffix}` : `${image.name} (line ${line.name}${variant.suffix === '' ? '' : `, ${variant.name}`})`,
    decision,
  });
  const byVersion = new Map<ApkVersion, Publication>();
  for (const p of pubs) {
    const seen = byVersion.get(p.version);
    byVersion.set(p.version, seen === undefined ? p : (newestPublication([seen, p]) ?? p));
  }
  const published = [...byVersion.keys()];
  // Frozen versions that were published; a version only offered is never frozen on its own.
  const frozenItems = (m: LineMaintenance): PlannedItem[] =>
    m.frozen.filter((f) => byVersion.has(f.version)).map((f) => item(f.version, { kind: 'skip', reason: describeFrozen(line, f.reason) }));

  if (isEndOfLife(line, input.now)) {
    const frozen = frozenItems(lineMaintenance(line, image.primaryPackage, published, input.now));
    return { frozen: frozen.length > 0 ? frozen : [item(undefined, { kind: 'skip', reason: describeFrozen(line, { kind: 'end-of-life', eol: line.eol ?? '' }) })] };
  }

  const offer = resolveOffer(input, image, line, variant);
  const newestPublished = newestVersion(published);
  let failure = offer.kind === 'failed' ? offer : undefined;
  if (offer.kind === 'offered' && newestPublished !== undefined && compareApkVersions(offer.version, newestPublished) < 0) {
    failure = {
      kind: 'failed',
      reason: `the repositories offer ${image.primaryPackage} ${offer.primary.version}, older than the published ${newestPublished}; not rebuilt`,
    };
  }
  const known = failure === undefined && offer.kind === 'offered' ? [...published, offer.version] : published;
  const m = lineMaintenance(line, image.primaryPackage, known, input.now);
  const previous = m.maintained === undefined ? undefined : byVersion.get(m.maintained);

  let head: PlannedItem;
  if (failure !== undefined || offer.kind !== 'offered') {
    // A cycle limited to some packages does not report failures of image versions it does not concern.
    const limit = triggerPackages(input.trigger);
    const unconcerned = limit !== undefined && affected(limit, packageNames(previous?.inputs?.packages ?? [])).length === 0;
    head = unconcerned
      ? item(m.maintained, { kind: 'skip', reason: notAffected(input.trigger, limit) })
      : item(m.maintained, { kind: 'failed', reason: failure?.reason ?? 'no offer', ...(failure?.error !== undefined && { error: failure.error }) });
  } else {
    const inputs: ImageInputs = {
      packages: sortPackages(offer.packages),
      configDigest: variant.configDigest,
      assemblerVersion: input.assemblerVersion,
      variant: variant.name,
    };
    const older = newestPublished === undefined ? undefined : byVersion.get(newestPublished);
    head = item(offer.version, decide(input.trigger, image, offer.primary, inputs, previous, older));
  }
  return { head, frozen: frozenItems(m) };
}

type Offer =
  | { readonly kind: 'offered'; readonly version: ApkVersion; readonly primary: ResolvedPackage; readonly packages: readonly ResolvedPackage[] }
  | { readonly kind: 'failed'; readonly reason: string; readonly error?: unknown };

/** The primary-package version the repositories offer for the line, checked against the line. */
function resolveOffer(input: PlanCycleInput, image: CatalogImage, line: CatalogLine, variant: CatalogVariant): Offer {
  let packages: readonly ResolvedPackage[];
  try {
    packages = input.resolve({ image, line, variant });
  } catch (error) {
    return { kind: 'failed', reason: describeError(error), error };
  }
  const primaries = packages.filter((p) => p.name === image.primaryPackage);
  const versions = [...new Set(primaries.map((p) => p.version))].sort();
  const primary = primaries[0];
  if (primary === undefined) return { kind: 'failed', reason: `the resolution has no ${image.primaryPackage} (the primary package)` };
  if (versions.length > 1) return { kind: 'failed', reason: `architectures resolve ${image.primaryPackage} to different versions: ${versions.join(', ')}` };
  if (!lineAdmits(line, image.primaryPackage, primary.version)) {
    return { kind: 'failed', reason: `the resolution has ${image.primaryPackage} ${primary.version}, outside line ${line.name} (${line.constraint})` };
  }
  return { kind: 'offered', version: upstreamVersion(primary.version), primary, packages };
}

function decide(
  trigger: Trigger,
  image: CatalogImage,
  primary: ResolvedPackage,
  inputs: ImageInputs,
  previous: Publication | undefined,
  older: Publication | undefined,
): CycleDecision {
  const fingerprint = inputFingerprint(inputs);
  const limit = triggerPackages(trigger);
  let prefix = '';
  if (limit !== undefined) {
    const hit = affected(limit, packageNames([...inputs.packages, ...(previous?.inputs?.packages ?? [])]));
    if (hit.length === 0) return { kind: 'skip', reason: notAffected(trigger, limit) };
    if (trigger.kind === 'urgent-fix') prefix = `${trigger.advisory}: `;
    if (previous?.fingerprint === fingerprint) return { kind: 'skip', reason: `${prefix}contains ${hit.join(', ')}, but no package changed` };
  }
  const build = (reason: string, newVersion: boolean): CycleDecision => ({
    kind: 'build',
    reason: `${prefix}${reason}`,
    newVersion,
    primaryVersion: primary.version,
    inputs,
    fingerprint,
  });
  const version = upstreamVersion(primary.version);
  if (previous === undefined) {
    return older === undefined || compareApkVersions(older.version, version) >= 0
      ? build(`new version ${version} (${image.primaryPackage} ${primary.version})`, true)
      : build(`new version ${version}: ${image.primaryPackage} ${older.primaryVersion} → ${primary.version}`, true);
  }
  if (previous.fingerprint === fingerprint) return { kind: 'skip', reason: 'no package changed' };
  const changes = previous.inputs === undefined ? 'no package changed' : describeInputChanges(previous.inputs, inputs);
  return build(changes === 'no package changed' ? `inputs changed (fingerprint ${previous.fingerprint} → ${fingerprint})` : changes, false);
}

function packageNames(packages: readonly ResolvedPackage[]): ReadonlySet<string> {
  return new Set(packages.map((p) => p.name));
}

function affected(limit: ReadonlySet<string>, names: ReadonlySet<string>): string[] {
  return [...limit].filter((n) => names.has(n)).sort();
}

function notAffected(trigger: Trigger, limit: ReadonlySet<string> | undefined): string {
  const list = [...(limit ?? [])].sort().join(', ');
  return trigger.kind === 'urgent-fix' ? `not affected by ${trigger.advisory}: contains none of ${list}` : `contains none of the updated packages (${list})`;
}
