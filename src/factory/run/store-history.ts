import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isApkVersion, type ApkVersion } from '../../apk/index.ts';
import { describeZodIssues, KilnError } from '../../errors/index.ts';
import { DigestSchema } from '../../oci/index.ts';
import { publicationsOf, type Publication as StoredPublication, type Schema } from '../../store/index.ts';
import { variantSuffix } from '../catalog-image.ts';
import type { HistoryReader, Publication } from '../history-reader.ts';
import type { ImageInputs, InputFingerprint } from '../input-fingerprint.ts';

const Version = z.string().refine(isApkVersion, { message: 'expected an APK version' }).transform((v) => v as ApkVersion);

// The store keeps the factory's ImageInputs as JSON; it is parsed here, at the edge, once.
const InputsSchema = z
  .object({
    packages: z.array(z.object({ name: z.string().min(1), version: Version, checksum: z.string().min(1), arch: z.string().min(1).optional() }).strict()),
    configDigest: DigestSchema,
    assemblerVersion: z.string(),
    variant: z.string().min(1),
  })
  .strict();

/**
 * A stored publication in the factory's terms: the ISO time, the fingerprint, the
 * recorded inputs, and only the fixed tags (the version tag and the timestamp tag);
 * floating tags move, and the tag policy derives them from the publications.
 */
export function toFactoryPublication(p: StoredPublication): Publication {
  const where = `publication ${p.id} (${p.image}:${p.version} ${p.digest})`;
  const version = parse(Version, p.version, `${where}: version`);
  const versionTag = `${p.version}${variantSuffix(p.variant)}`;
  const tags = [...new Set(p.tags.map((t) => t.tag).filter((t) => t === versionTag || t === p.timestampTag))].sort();
  const inputs: ImageInputs | undefined = p.inputs === null ? undefined : parse(InputsSchema, p.inputs, `${where}: inputs`);
  return {
    image: p.image,
    line: p.line,
    variant: p.variant,
    version,
    primaryVersion: p.primaryVersion === null ? version : parse(Version, p.primaryVersion, `${where}: primary version`),
    digest: p.digest,
    publishedAt: p.publishedAt.toISOString(),
    tags: tags.includes(p.timestampTag) ? tags : [...tags, p.timestampTag].sort(),
    fingerprint: p.inputFingerprint as InputFingerprint,
    ...(inputs !== undefined && { inputs }),
  };
}

/** The factory's HistoryReader over the history database. */
export function storeHistory(db: Kysely<Schema>): HistoryReader {
  return {
    publications: async (image) => (await publicationsOf(db, image)).map(toFactoryPublication),
  };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new KilnError('INPUT_INVALID', `${where}: ${describeZodIssues(r.error)}`, { cause: r.error });
  return r.data;
}
