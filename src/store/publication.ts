import { z } from 'zod';
import { DigestSchema, isValidTag, type Digest } from '../oci/index.ts';
import type { Variant } from './schema.ts';

export type { Variant } from './schema.ts';

/** One installed package in a published image (per architecture for multi-arch images). */
export type PackageRecord = {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** The APK checksum as APKINDEX has it (`Q1…`). */
  readonly checksum: string;
  /** The source package (APKINDEX `o:`), the unit advisories name. */
  readonly origin: string;
};

export type PackageChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded';

/** added has only `to`, removed only `from`, the others both. */
export type PackageChange = {
  readonly kind: PackageChangeKind;
  readonly name: string;
  readonly from: string | null;
  readonly to: string | null;
};

/** A package published to the repositories, as a trigger names it (no `from` when new). */
export type TriggerPackage = { readonly name: string; readonly from?: string; readonly to: string };

/**
 * Why a publication happened. Stored as trigger_kind + the rest as JSON. The same shape
 * as src/factory's Trigger, so the factory's value can be passed as it is.
 */
export type Trigger =
  | { readonly kind: 'schedule' }
  | { readonly kind: 'package-updated'; readonly packages: readonly TriggerPackage[] }
  | { readonly kind: 'urgent-fix'; readonly advisory: string; readonly packages: readonly string[] }
  | { readonly kind: 'manual'; readonly by: string };

/** JSON as stored in a jsonb column. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A tag the publication points at its digest (created, moved, or already there). */
export type TagUpdate = { readonly repository: string; readonly tag: string };

/** A publication as stored, without its package list (see digestPackages). */
export type Publication = {
  readonly id: number;
  readonly image: string;
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
  readonly digest: Digest;
  /** e.g. `3.14.1-20261127T0500Z`: the immutable tag of this one build. */
  readonly timestampTag: string;
  readonly publishedAt: Date;
  readonly trigger: Trigger;
  readonly reason: string;
  /** Hash of everything the build consumed; equal fingerprint ⇒ nothing to rebuild. */
  readonly inputFingerprint: string;
  /** What the fingerprint was made of (the factory's ImageInputs), if recorded. */
  readonly inputs: JsonValue | null;
  /** The primary package's version with its revision (`1.27.4-r2`), if recorded. */
  readonly primaryVersion: string | null;
  readonly previousDigest: Digest | null;
  /** Every tag this publication was given, sorted: fixed ones and floating ones alike. */
  readonly tags: readonly TagUpdate[];
};

export type PublicationInput = Omit<Publication, 'id' | 'inputs' | 'primaryVersion'> & {
  readonly inputs?: JsonValue | null;
  readonly primaryVersion?: string | null;
  readonly packages: readonly PackageRecord[];
  readonly changes: readonly PackageChange[];
};

// ---- zod: the boundary (recordPublication input) and the JSON column on the way out ----

export const DigestText = DigestSchema;

const Text = z.string().min(1);
const Tag = z.string().refine(isValidTag, { message: 'expected an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})' });
export const VariantSchema = z.enum(['prod', 'dev']);

export const PackageChangeSchema = z
  .object({
    kind: z.enum(['added', 'removed', 'upgraded', 'downgraded']),
    name: Text,
    from: Text.nullable(),
    to: Text.nullable(),
  })
  .strict()
  .refine((c) => (c.kind === 'added' ? c.from === null : c.from !== null), {
    message: 'from is null exactly when kind is added',
  })
  .refine((c) => (c.kind === 'removed' ? c.to === null : c.to !== null), {
    message: 'to is null exactly when kind is removed',
  });

const TriggerPackageSchema = z.object({ name: Text, from: Text.optional(), to: Text }).strict();

export const TriggerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('schedule') }).strict(),
  z.object({ kind: z.literal('package-updated'), packages: z.array(TriggerPackageSchema) }).strict(),
  z.object({ kind: z.literal('urgent-fix'), advisory: Text, packages: z.array(Text) }).strict(),
  z.object({ kind: z.literal('manual'), by: Text }).strict(),
]);

export const JsonSchema = z.json() as unknown as z.ZodType<JsonValue>;

export const PackageRecordSchema = z
  .object({ name: Text, version: Text, arch: Text, checksum: Text, origin: Text })
  .strict();

export const PublicationInputSchema = z
  .object({
    image: Text,
    line: Text,
    version: Text,
    variant: VariantSchema,
    digest: DigestText,
    timestampTag: Tag,
    publishedAt: z.date().refine((d) => !Number.isNaN(d.getTime()), { message: 'invalid date' }),
    trigger: TriggerSchema,
    reason: z.string(),
    inputFingerprint: Text,
    inputs: z.preprocess(asStoredJson, JsonSchema.nullable()).optional(),
    primaryVersion: Text.nullable().optional(),
    previousDigest: DigestText.nullable(),
    packages: z.array(PackageRecordSchema),
    changes: z.array(PackageChangeSchema),
    tags: z.array(z.object({ repository: Text, tag: Tag }).strict()),
  })
  .strict()
  .superRefine((p, ctx) => {
    // the database would refuse these too, but as a key violation that names no field
    duplicates(p.packages.map((x) => `${x.name} (${x.arch})`), ['packages'], ctx);
    duplicates(p.tags.map((x) => `${x.repository}:${x.tag}`), ['tags'], ctx);
  });

/** The value as jsonb will hold it (undefined properties dropped), or as given if it has no JSON form. */
function asStoredJson(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return value;
  }
}

function duplicates(keys: readonly string[], path: readonly PropertyKey[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  keys.forEach((key, i) => {
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [...path, i], message: `${key} is listed twice` });
    seen.add(key);
  });
}
