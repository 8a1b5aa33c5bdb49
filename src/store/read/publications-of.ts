import type { Kysely } from 'kysely';
import { PUBLICATION_COLUMNS, parsePublicationRow } from '../publication-row.ts';
import type { Publication, Variant } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';
import { attachTags } from './attach-tags.ts';

/**
 * Every publication of an image (all versions, or one variant), newest first, with the
 * tags each was given: what the factory's HistoryReader asks for.
 */
export async function publicationsOf(
  db: Kysely<Schema>,
  image: string,
  options: { readonly variant?: Variant } = {},
): Promise<readonly Publication[]> {
  return withDatabase(`publications of ${image}`, async () => {
    let query = db.selectFrom('publications').select(PUBLICATION_COLUMNS).where('image', '=', image);
    if (options.variant !== undefined) query = query.where('variant', '=', options.variant);
    const rows = await query.orderBy('published_at', 'desc').orderBy('id', 'desc').execute();
    return attachTags(db, rows.map(parsePublicationRow));
  });
}
