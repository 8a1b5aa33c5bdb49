/**
 * The history database: every publication kiln made, with its packages, changes and tags,
 * plus per-cycle results. PGlite (embedded, a directory) by default, PostgreSQL by URL.
 *
 * ```ts
 * const store = await openDatabase({ url: defaultDatabaseUrl(stateDir) }); // migrates
 * try {
 *   await upsertImage(store.db, { name: 'python', primaryPackage: 'python-3.14', versions: [...] });
 *   const last = await latestPublication(store.db, { image, line, version, variant });
 *   if (last?.inputFingerprint !== fingerprint) {
 *     const { tags } = await recordPublication(store.db, { ...publication, packages, changes, tags });
 *   }
 *   await recordCycleResult(store.db, { cycleId, image, line, version, variant, status, reason, digest, at });
 * } finally {
 *   await store.close();
 * }
 * ```
 *
 * Writers: recordPublication (publication + packages + changes + tags + tag moves, one
 * transaction), recordCycleResult, upsertImage. Readers: latestPublication,
 * publicationsOf (what the factory's HistoryReader needs), changelog, digestPackages,
 * diffDigests, searchDigests, tagAt, tagsOf, listImages, cycleResults. Pure: diffPackageLists.
 *
 * Every function takes the Kysely handle (`store.db`, or a transaction from
 * `store.db.transaction()` to group several writes) and returns one result object.
 * Failures are KilnErrors: INPUT_INVALID / DIGEST_INVALID for bad arguments (checked
 * before any query), NOT_FOUND for an unknown digest in diffDigests, DATABASE_FAILED for
 * the database, MIGRATION_FAILED at open. On PGlite, do not use `store.db` inside a
 * transaction callback: the single connection is the transaction's until it ends.
 */
export {
  type DatabaseLocation,
  type KilnDatabase,
  type OpenDatabaseOptions,
  openDatabase,
  openPgliteDatabase,
  defaultDatabaseUrl,
  parseDatabaseUrl,
  describeLocation,
} from './database/open-database.ts';
export { type MigrationOutcome, migrateToLatest } from './database/migrate-to-latest.ts';
export type { Schema } from './schema.ts';
export type {
  Variant,
  PackageRecord,
  PackageChange,
  PackageChangeKind,
  Trigger,
  TriggerPackage,
  JsonValue,
  TagUpdate,
  Publication,
  PublicationInput,
} from './publication.ts';
export { diffPackageLists, compareVersions } from './diff-package-lists.ts';
export { type RecordedPublication, type TagOutcome, recordPublication } from './write/record-publication.ts';
export { type CycleResultRecord, recordCycleResult } from './write/record-cycle-result.ts';
export { type ImageRecord, upsertImage } from './write/upsert-image.ts';
export { type ImageVersionKey, latestPublication } from './read/latest-publication.ts';
export { publicationsOf } from './read/publications-of.ts';
export { type Changelog, type ChangelogEntry, changelog } from './read/changelog.ts';
export { type DigestPackages, digestPackages } from './read/digest-packages.ts';
export { type DigestDiff, diffDigests } from './read/diff-digests.ts';
export { type DigestMatch, type DigestSearch, MIN_DIGEST_FRAGMENT, searchDigests } from './read/search-digests.ts';
export { type TagAt, tagAt } from './read/tag-at.ts';
export { type CurrentTag, tagsOf } from './read/tags-of.ts';
export { type ImageSummary, type ImageVersionSummary, type LatestDigest, listImages } from './read/list-images.ts';
export { cycleResults } from './read/cycle-results.ts';
