import type { Kysely } from 'kysely';
import { PUBLICATION_COLUMNS, parseChangeRow, parsePublicationRow } from '../publication-row.ts';
import type { PackageChange, Publication, Variant } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';
import { attachTags } from './attach-tags.ts';

export type ChangelogEntry = Publication & { readonly changes: readonly PackageChange[] };

export type Changelog = {
  readonly image: string;
  readonly version: string;
  /** Newest first; empty when the version was never published. */
  readonly entries: readonly ChangelogEntry[];
};

/**
 * Every digest published for one version of an image, newest first, each with its
 * timestamp tag, date, trigger, reason and package changes. Both variants unless one
 * is asked for.
 */
export async function changelog(
  db: Kysely<Schema>,
  image: string,
  version: string,
  options: { readonly variant?: Variant } = {},
): Promise<Changelog> {
  return withDatabase(`changelog of ${image}:${version}`, async () => {
    let query = db
      .selectFrom('publications')
      .select(PUBLICATION_COLUMNS)
      .where('image', '=', image)
      .where('version', '=', version);
    if (options.variant !== undefined) query = query.where('variant', '=', options.variant);
    const rows = await query.orderBy('published_at', 'desc').orderBy('id', 'desc').execute();
    const publications = await attachTags(db, rows.map(parsePublicationRow));
    if (publications.length === 0) return { image, version, entries: [] };
    const changeRows = await db
      .selectFrom('publication_changes')
      .select(['publication_id', 'kind', 'name', 'from_version', 'to_version'])
      .where(
        'publication_id',
        'in',
        publications.map((p) => p.id),
      )
      .orderBy('publication_id')
      .orderBy('ordinal')
      .execute();
    const changes = new Map<number, PackageChange[]>();
    for (const row of changeRows) {
      const { publicationId, change } = parseChangeRow(row);
      const list = changes.get(publicationId) ?? [];
      list.push(change);
      changes.set(publicationId, list);
    }
    return { image, version, entries: publications.map((p) => ({ ...p, changes: changes.get(p.id) ?? [] })) };
  });
}
