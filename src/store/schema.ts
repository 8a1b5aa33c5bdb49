import type { ColumnType, GeneratedAlways } from 'kysely';

/**
 * The history database as Kysely sees it: one explicit interface per table, columns in
 * snake_case exactly as in migrations/. These types describe what the migrations create;
 * rows that come back are still parsed (row-schemas.ts) because drivers differ in how they
 * return bigints, timestamps and JSON.
 */
export interface Schema {
  readonly images: ImagesTable;
  readonly image_versions: ImageVersionsTable;
  readonly publications: PublicationsTable;
  readonly publication_packages: PublicationPackagesTable;
  readonly publication_changes: PublicationChangesTable;
  readonly publication_tags: PublicationTagsTable;
  readonly tags: TagsTable;
  readonly tag_moves: TagMovesTable;
  readonly cycle_results: CycleResultsTable;
}

/** Written as a Date, read back as whatever the driver returns (parsed to Date). */
type Timestamp = ColumnType<Date, Date, Date>;
type TimestampDefaultNow = ColumnType<Date, Date | undefined, Date>;

export type Variant = 'prod' | 'dev';

export interface ImagesTable {
  readonly name: string;
  /** The package the image exists to ship (python for python), if the catalog said. */
  readonly primary_package: string | null;
  readonly created_at: TimestampDefaultNow;
}

export interface ImageVersionsTable {
  readonly image: string;
  /** The release line a floating tag follows, e.g. 3.14. */
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
  readonly maintained: boolean;
  readonly created_at: TimestampDefaultNow;
}

export interface PublicationsTable {
  readonly id: GeneratedAlways<number>;
  readonly image: string;
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
  readonly digest: string;
  /** split_part(digest, ':', 2), indexed with text_pattern_ops for prefix search. */
  readonly digest_hex: GeneratedAlways<string>;
  readonly timestamp_tag: string;
  readonly published_at: Timestamp;
  readonly trigger_kind: string;
  /** The trigger minus its kind, as JSON text on the way in, parsed JSON on the way out. */
  readonly trigger_detail: ColumnType<unknown, string, string>;
  readonly reason: string;
  readonly input_fingerprint: string;
  /** JSON text on the way in, parsed JSON (or null) on the way out. */
  readonly inputs: ColumnType<unknown, string | null, string | null>;
  readonly primary_version: string | null;
  readonly previous_digest: string | null;
}

export interface PublicationPackagesTable {
  readonly publication_id: number;
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  readonly checksum: string;
  readonly origin: string;
}

export interface PublicationChangesTable {
  readonly publication_id: number;
  /** Position in the list the factory recorded, so changes read back in that order. */
  readonly ordinal: number;
  readonly kind: string;
  readonly name: string;
  readonly from_version: string | null;
  readonly to_version: string | null;
}

export interface PublicationTagsTable {
  readonly publication_id: number;
  readonly repository: string;
  readonly tag: string;
}

export interface TagsTable {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly updated_at: Timestamp;
}

export interface TagMovesTable {
  readonly id: GeneratedAlways<number>;
  readonly repository: string;
  readonly tag: string;
  /** null when the tag was created by this move. */
  readonly from_digest: string | null;
  readonly to_digest: string;
  readonly moved_at: Timestamp;
  readonly publication_id: number | null;
}

export interface CycleResultsTable {
  readonly id: GeneratedAlways<number>;
  readonly cycle_id: string;
  readonly image: string;
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
  readonly status: string;
  readonly reason: string;
  readonly digest: string | null;
  readonly at: Timestamp;
}
