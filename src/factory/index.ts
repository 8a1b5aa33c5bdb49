export { parseKilnConfig, loadKilnConfig, type KilnConfig, type DatabaseTarget, type PublishTarget, type SigningKeys, type PackagesConfig, type SourcesConfig } from './kiln-config.ts';
export {
  type Schedules,
  DEFAULT_SCHEDULES,
  parseDuration,
  parseTimeOfDay,
  formatTimeOfDay,
  nextDailyRun,
  parseInstant,
} from './schedules.ts';
export {
  type CatalogImage,
  type CatalogVariant,
  type CatalogLine,
  type FloatingTagKind,
  type TagPolicy,
  PRODUCTION_VARIANT,
  FLOATING_TAG_KINDS,
  variantSuffix,
} from './catalog-image.ts';
export { parseCatalogEntry, parseLineConstraint, type CatalogEntry } from './parse-catalog-entry.ts';
export { loadCatalog, type Catalog, type CatalogError } from './load-catalog.ts';
export { type Publication, type HistoryReader, newestPublication } from './history-reader.ts';
export { type ResolvedPackage, type ImageInputs, type InputFingerprint, inputFingerprint, sortPackages } from './input-fingerprint.ts';
export { upstreamVersion, newestVersion, versionSeries } from './image-version.ts';
export { timestampTag, timestampOf } from './timestamp-tag.ts';
export { planTags, type NewPublication, type FloatingMove, type TagPlan } from './tag-policy.ts';
export { lineAdmits, isEndOfLife, lineMaintenance, describeFrozen, type LineMaintenance, type FrozenReason } from './maintenance.ts';
export { describeInputChanges } from './describe-input-changes.ts';
export { type Trigger, type PackageChange, triggerPackages, describeTrigger } from './trigger.ts';
export {
  planCycle,
  type PlanCycleInput,
  type CyclePlan,
  type PlannedItem,
  type CycleDecision,
  type ResolveTarget,
  type Resolver,
} from './plan-cycle.ts';
export { type CycleResult, plannedResult } from './cycle-result.ts';
