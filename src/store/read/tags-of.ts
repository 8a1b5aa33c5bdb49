import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Digest } from '../../oci/index.ts';
import { DigestText, VariantSchema, type Variant } from '../publication.ts';
import { RowTimestamp, parseRow } from '../publication-row.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';

export type CurrentTag = {
  readonly repository: string;
  readonly tag: string;
  readonly digest: Digest;
  readonly updatedAt: Date;
  /** The image version the digest was published as (its newest publication). */
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
};

const TagRow = z.object({
  repository: z.string(),
  tag: z.string(),
  digest: DigestText,
  updated_at: RowTimestamp,
  line: z.string(),
  version: z.string(),
  variant: VariantSchema,
});

/**
 * The tags that point at a digest of this image now, sorted by repository and tag.
 * (Tags belong to an image through the digests published for it.)
 */
export async function tagsOf(db: Kysely<Schema>, image: string): Promise<readonly CurrentTag[]> {
  return withDatabase(`tags of ${image}`, async () => {
    const published = db
      .selectFrom('publications')
      .distinctOn('digest')
      .select(['digest', 'line', 'version', 'variant'])
      .where('image', '=', image)
      .orderBy('digest')
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .as('p');
    const rows = await db
      .selectFrom('tags')
      .innerJoin(published, 'p.digest', 'tags.digest')
      .select(['tags.repository', 'tags.tag', 'tags.digest', 'tags.updated_at', 'p.line', 'p.version', 'p.variant'])
      .orderBy('tags.repository')
      .orderBy('tags.tag')
      .execute();
    return rows.map((row): CurrentTag => {
      const r = parseRow(TagRow, row, 'tags');
      return {
        repository: r.repository,
        tag: r.tag,
        digest: r.digest,
        updatedAt: r.updated_at,
        line: r.line,
        version: r.version,
        variant: r.variant,
      };
    });
  });
}
