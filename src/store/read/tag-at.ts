import type { Kysely } from 'kysely';
import { z } from 'zod';
import { KilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { DigestText } from '../publication.ts';
import { RowTimestamp, parseRow } from '../publication-row.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';

export type TagAt = {
  readonly repository: string;
  readonly tag: string;
  readonly at: Date;
  /** What the tag pointed to at `at`; null if it did not exist yet. */
  readonly digest: Digest | null;
  /** When the tag last moved before `at`. */
  readonly since: Date | null;
};

const MoveRow = z.object({ to_digest: DigestText, moved_at: RowTimestamp });

/** "What did `3.14` point to on 1 March?" — answered from tag_moves. */
export async function tagAt(db: Kysely<Schema>, repository: string, tag: string, at: Date): Promise<TagAt> {
  if (Number.isNaN(at.getTime())) throw new KilnError('INPUT_INVALID', `tag ${repository}:${tag}: the time is not a valid date`);
  return withDatabase(`tag ${repository}:${tag} at ${at.toISOString()}`, async () => {
    const row = await db
      .selectFrom('tag_moves')
      .select(['to_digest', 'moved_at'])
      .where('repository', '=', repository)
      .where('tag', '=', tag)
      .where('moved_at', '<=', at)
      .orderBy('moved_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row === undefined) return { repository, tag, at, digest: null, since: null };
    const r = parseRow(MoveRow, row, 'tag_moves');
    return { repository, tag, at, digest: r.to_digest, since: r.moved_at };
  });
}
