import { z } from 'zod';
import { KilnError, describeZodIssues } from '../errors/index.ts';
import {
  DigestText,
  JsonSchema,
  TriggerSchema,
  VariantSchema,
  type PackageChange,
  type PackageRecord,
  type Publication,
} from './publication.ts';

/** The publications columns every reader selects, in Kysely's select-list form. */
export const PUBLICATION_COLUMNS = [
  'publications.id',
  'publications.image',
  'publications.line',
  'publications.version',
  'publications.variant',
  'publications.digest',
  'publications.timestamp_tag',
  'publications.published_at',
  'publications.trigger_kind',
  'publications.trigger_detail',
  'publications.reason',
  'publications.input_fingerprint',
  'publications.inputs',
  'publications.primary_version',
  'publications.previous_digest',
] as const;

// Drivers differ: pg returns int8 as text, PGlite as number; timestamps as Date from
// both today but text if a type parser is swapped out. Coerce, then check.
const Timestamp = z.coerce.date().refine((d) => !Number.isNaN(d.getTime()), { message: 'invalid timestamp' });
const Id = z.coerce.number().int().positive();

const PublicationRow = z.object({
  id: Id,
  image: z.string(),
  line: z.string(),
  version: z.string(),
  variant: VariantSchema,
  digest: DigestText,
  timestamp_tag: z.string(),
  published_at: Timestamp,
  trigger_kind: z.string(),
  trigger_detail: z.union([z.record(z.string(), z.unknown()), z.string()]),
  reason: z.string(),
  input_fingerprint: z.string(),
  inputs: JsonSchema.nullable(),
  primary_version: z.string().nullable(),
  previous_digest: DigestText.nullable(),
});

/** A publication row before its tags are attached (read/attach-tags.ts). */
export type PublicationFields = Omit<Publication, 'tags'>;

/** Parse a row selected with PUBLICATION_COLUMNS (the JSON trigger detail included). */
export function parsePublicationRow(row: unknown): PublicationFields {
  const parsed = parseRow(PublicationRow, row, 'publications');
  const detail: unknown =
    typeof parsed.trigger_detail === 'string' ? JSON.parse(parsed.trigger_detail) : parsed.trigger_detail;
  const trigger = parseRow(TriggerSchema, { ...(detail as object), kind: parsed.trigger_kind }, 'publications.trigger');
  return {
    id: parsed.id,
    image: parsed.image,
    line: parsed.line,
    version: parsed.version,
    variant: parsed.variant,
    digest: parsed.digest,
    timestampTag: parsed.timestamp_tag,
    publishedAt: parsed.published_at,
    trigger,
    reason: parsed.reason,
    inputFingerprint: parsed.input_fingerprint,
    inputs: parsed.inputs,
    primaryVersion: parsed.primary_version,
    previousDigest: parsed.previous_digest,
  };
}

export const RowTimestamp = Timestamp;
export const RowId = Id;

/** A row that does not match its schema means the database holds something kiln did not write. */
export function parseRow<S extends z.ZodType>(schema: S, row: unknown, table: string): z.output<S> {
  const result = schema.safeParse(row);
  if (result.success) return result.data;
  throw new KilnError('DATABASE_FAILED', `${table}: unexpected row: ${describeZodIssues(result.error)}`, {
    cause: result.error,
  });
}

const PackageRow = z.object({
  name: z.string(),
  version: z.string(),
  arch: z.string(),
  checksum: z.string(),
  origin: z.string(),
});

export function parsePackageRow(row: unknown): PackageRecord {
  return parseRow(PackageRow, row, 'publication_packages');
}

const ChangeRow = z.object({
  publication_id: Id,
  kind: z.enum(['added', 'removed', 'upgraded', 'downgraded']),
  name: z.string(),
  from_version: z.string().nullable(),
  to_version: z.string().nullable(),
});

export function parseChangeRow(row: unknown): { readonly publicationId: number; readonly change: PackageChange } {
  const r = parseRow(ChangeRow, row, 'publication_changes');
  return { publicationId: r.publication_id, change: { kind: r.kind, name: r.name, from: r.from_version, to: r.to_version } };
}
