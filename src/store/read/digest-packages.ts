import type { Kysely } from 'kysely';
import { parseDigest, type Digest } from '../../oci/index.ts';
import { PUBLICATION_COLUMNS, parsePackageRow, parsePublicationRow } from '../publication-row.ts';
import type { PackageRecord, Publication } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';
import { attachTags } from './attach-tags.ts';

export type DigestPackages = {
  readonly digest: Digest;
  /** The newest publication of this digest (a digest can be published more than once). */
  readonly publication: Publication;
  /** Sorted by name, then arch. */
  readonly packages: readonly PackageRecord[];
};

/**
 * The full package list of a published digest, or undefined if kiln never published it.
 * A string that is not a digest is DIGEST_INVALID.
 */
export async function digestPackages(db: Kysely<Schema>, digest: string): Promise<DigestPackages | undefined> {
  const d = parseDigest(digest);
  return withDatabase(`packages of ${d}`, async () => {
    const row = await db
      .selectFrom('publications')
      .select(PUBLICATION_COLUMNS)
      .where('digest', '=', d)
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const [publication] = await attachTags(db, [parsePublicationRow(row)]);
    if (publication === undefined) return undefined;
    const rows = await db
      .selectFrom('publication_packages')
      .select(['name', 'version', 'arch', 'checksum', 'origin'])
      .where('publication_id', '=', publication.id)
      .orderBy('name')
      .orderBy('arch')
      .execute();
    return { digest: d, publication, packages: rows.map(parsePackageRow) };
  });
}
