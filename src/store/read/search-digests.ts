import type { Kysely } from 'kysely';
import { z } from 'zod';
import { KilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { DigestText, VariantSchema, type Variant } from '../publication.ts';
import { RowTimestamp, parseRow } from '../publication-row.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';

export type DigestMatch = {
  readonly digest: Digest;
  /** From the newest publication of this digest. */
  readonly image: string;
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
  readonly timestampTag: string;
  readonly publishedAt: Date;
};

export type DigestSearch = {
  /** The hex prefix searched for, lowercased, without any `sha256:`. */
  readonly prefix: string;
  /** Sorted by digest; one match means the fragment is unambiguous. */
  readonly matches: readonly DigestMatch[];
  /** More digests matched than `limit`; the fragment needs more characters. */
  readonly truncated: boolean;
};

export const MIN_DIGEST_FRAGMENT = 4;
const FRAGMENT = /^(?:(sha256|sha512):)?([0-9a-f]+)$/;

const MatchRow = z.object({
  digest: DigestText,
  image: z.string(),
  line: z.string(),
  version: z.string(),
  variant: VariantSchema,
  timestamp_tag: z.string(),
  published_at: RowTimestamp,
});

/**
 * Published digests starting with a hex fragment (at least 4 hex digits, optionally
 * written with its `sha256:` / `sha512:` prefix, which then restricts the algorithm), as
 * `docker` and `git` accept short ids. A malformed fragment is INPUT_INVALID.
 */
export async function searchDigests(
  db: Kysely<Schema>,
  fragment: string,
  options: { readonly limit?: number } = {},
): Promise<DigestSearch> {
  const m = FRAGMENT.exec(fragment.trim().toLowerCase());
  const algorithm = m?.[1];
  const prefix = m?.[2] ?? '';
  if (m === null || prefix.length < MIN_DIGEST_FRAGMENT || prefix.length > 128) {
    throw new KilnError(
      'INPUT_INVALID',
      `digest fragment: expected ${MIN_DIGEST_FRAGMENT} to 128 hex digits, optionally after sha256:, found ${JSON.stringify(fragment.slice(0, 140))}`,
    );
  }
  const limit = options.limit ?? 20;
  return withDatabase(`searching digests for ${prefix}`, async () => {
    // hex only (checked above), so no LIKE wildcard can sneak in
    let query = db
      .selectFrom('publications')
      .distinctOn('digest')
      .select(['digest', 'image', 'line', 'version', 'variant', 'timestamp_tag', 'published_at'])
      .where('digest_hex', 'like', `${prefix}%`);
    if (algorithm !== undefined) query = query.where('digest', 'like', `${algorithm}:%`);
    const rows = await query
      .orderBy('digest')
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const matches = rows.slice(0, limit).map((row): DigestMatch => {
      const r = parseRow(MatchRow, row, 'publications');
      return {
        digest: r.digest,
        image: r.image,
        line: r.line,
        version: r.version,
        variant: r.variant,
        timestampTag: r.timestamp_tag,
        publishedAt: r.published_at,
      };
    });
    return { prefix, matches, truncated: rows.length > limit };
  });
}
