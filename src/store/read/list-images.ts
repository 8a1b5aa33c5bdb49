import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Digest } from '../../oci/index.ts';
import { compareVersions } from '../diff-package-lists.ts';
import { DigestText, VariantSchema, type Variant } from '../publication.ts';
import { RowTimestamp, parseRow } from '../publication-row.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';

/** The newest publication of one image version and variant. */
export type LatestDigest = {
  readonly digest: Digest;
  readonly timestampTag: string;
  readonly publishedAt: Date;
};

export type ImageVersionSummary = {
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
  readonly maintained: boolean;
  /** null when the version is in the catalog but was never published. */
  readonly latest: LatestDigest | null;
};

export type ImageSummary = {
  readonly name: string;
  readonly primaryPackage: string | null;
  /** Newest version first (APK version order), prod before dev. */
  readonly versions: readonly ImageVersionSummary[];
};

const ImageRow = z.object({ name: z.string(), primary_package: z.string().nullable() });
const VersionRow = z.object({
  image: z.string(),
  line: z.string(),
  version: z.string(),
  variant: VariantSchema,
  maintained: z.boolean(),
});
const LatestRow = z.object({
  image: z.string(),
  line: z.string(),
  version: z.string(),
  variant: VariantSchema,
  digest: DigestText,
  timestamp_tag: z.string(),
  published_at: RowTimestamp,
});

/**
 * Every image kiln knows (or just `name`; an empty list means it is unknown), sorted by
 * name, each with its versions and the latest digest of each: what `GET /api/v1/images`
 * and the console list. Three queries whatever the catalog size.
 */
export async function listImages(
  db: Kysely<Schema>,
  options: { readonly name?: string } = {},
): Promise<readonly ImageSummary[]> {
  return withDatabase(options.name === undefined ? 'listing images' : `image ${options.name}`, async () => {
    let images = db.selectFrom('images').select(['name', 'primary_package']);
    let versions = db.selectFrom('image_versions').select(['image', 'line', 'version', 'variant', 'maintained']);
    let latest = db
      .selectFrom('publications')
      .distinctOn(['image', 'line', 'version', 'variant'])
      .select(['image', 'line', 'version', 'variant', 'digest', 'timestamp_tag', 'published_at']);
    if (options.name !== undefined) {
      images = images.where('name', '=', options.name);
      versions = versions.where('image', '=', options.name);
      latest = latest.where('image', '=', options.name);
    }
    const imageRows = await images.orderBy('name').execute();
    if (imageRows.length === 0) return [];
    const versionRows = await versions.execute();
    const latestRows = await latest
      .orderBy('image')
      .orderBy('line')
      .orderBy('version')
      .orderBy('variant')
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const key = (r: { image: string; line: string; version: string; variant: string }) =>
      `${r.image}\u0000${r.line}\u0000${r.version}\u0000${r.variant}`;
    const newest = new Map<string, LatestDigest>();
    for (const row of latestRows) {
      const r = parseRow(LatestRow, row, 'publications');
      newest.set(key(r), { digest: r.digest, timestampTag: r.timestamp_tag, publishedAt: r.published_at });
    }
    const byImage = new Map<string, ImageVersionSummary[]>();
    for (const row of versionRows) {
      const r = parseRow(VersionRow, row, 'image_versions');
      const list = byImage.get(r.image) ?? [];
      list.push({ line: r.line, version: r.version, variant: r.variant, maintained: r.maintained, latest: newest.get(key(r)) ?? null });
      byImage.set(r.image, list);
    }
    return imageRows.map((row): ImageSummary => {
      const r = parseRow(ImageRow, row, 'images');
      const list = byImage.get(r.name) ?? [];
      list.sort(
        (a, b) =>
          compareVersions(b.version, a.version) ||
          (a.variant === b.variant ? 0 : a.variant === 'prod' ? -1 : 1) ||
          (a.line < b.line ? -1 : a.line > b.line ? 1 : 0),
      );
      return { name: r.name, primaryPackage: r.primary_package, versions: list };
    });
  });
}
