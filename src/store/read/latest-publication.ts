import type { Kysely } from 'kysely';
import { PUBLICATION_COLUMNS, parsePublicationRow } from '../publication-row.ts';
import type { Publication, Variant } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';
import { attachTags } from './attach-tags.ts';

export type ImageVersionKey = {
  readonly image: string;
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
};

/**
 * The newest publication of one image version, or undefined if it was never published.
 * The factory compares its inputFingerprint to decide whether to rebuild.
 */
export async function latestPublication(db: Kysely<Schema>, key: ImageVersionKey): Promise<Publication | undefined> {
  return withDatabase(`latest publication of ${key.image}:${key.version} (${key.variant})`, async () => {
    const row = await db
      .selectFrom('publications')
      .select(PUBLICATION_COLUMNS)
      .where('image', '=', key.image)
      .where('line', '=', key.line)
      .where('version', '=', key.version)
      .where('variant', '=', key.variant)
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const [publication] = await attachTags(db, [parsePublicationRow(row)]);
    return publication;
  });
}
