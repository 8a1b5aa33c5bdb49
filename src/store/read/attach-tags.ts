import type { Kysely } from 'kysely';
import type { PublicationFields } from '../publication-row.ts';
import type { Publication, TagUpdate } from '../publication.ts';
import type { Schema } from '../schema.ts';

/** Load the tags each publication was given (one query) and return full publications. */
export async function attachTags(
  db: Kysely<Schema>,
  publications: readonly PublicationFields[],
): Promise<readonly Publication[]> {
  if (publications.length === 0) return [];
  const rows = await db
    .selectFrom('publication_tags')
    .select(['publication_id', 'repository', 'tag'])
    .where(
      'publication_id',
      'in',
      publications.map((p) => p.id),
    )
    .orderBy('publication_id')
    .orderBy('repository')
    .orderBy('tag')
    .execute();
  const tags = new Map<number, TagUpdate[]>();
  for (const row of rows) {
    // integer (int4) columns come back as numbers from both drivers
    const id = Number(row.publication_id);
    const list = tags.get(id) ?? [];
    list.push({ repository: row.repository, tag: row.tag });
    tags.set(id, list);
  }
  return publications.map((p) => ({ ...p, tags: tags.get(p.id) ?? [] }));
}
