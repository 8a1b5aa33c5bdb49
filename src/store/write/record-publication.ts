import { sql, type Kysely, type Transaction } from 'kysely';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { PublicationInputSchema, type Publication, type PublicationInput } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';
import { inTransaction } from './in-transaction.ts';

/** What happened to one tag: new, pointed elsewhere, or already at this digest. */
export type TagOutcome = {
  readonly repository: string;
  readonly tag: string;
  readonly status: 'created' | 'moved' | 'unchanged';
  /** The digest the tag pointed at before; null when created. */
  readonly from: Digest | null;
};

export type RecordedPublication = {
  readonly publication: Publication;
  readonly tags: readonly TagOutcome[];
};

/** Rows per INSERT: far below PostgreSQL's 65535 bind parameters at 6 columns a row. */
const CHUNK = 1000;
/** First key of the two-key advisory locks that serialise updates of one tag. */
const TAG_LOCK_SPACE = 0x6b696c6e; // "kiln"

/**
 * Record one publication — the publication, its full package list, its changes, and
 * its tags (each create or move also appended to tag_moves) — in one transaction: a
 * reader sees all of it or none of it. The image and image version are added to the
 * catalog tables when missing (maintained, no primary package; see upsertImage).
 *
 * The input is checked first (INPUT_INVALID names the field). Pass a transaction to make
 * this part of a larger one. Tag moves are stamped with `publishedAt`, so a cycle run
 * with `--now` records history at that time.
 */
export async function recordPublication(
  db: Kysely<Schema>,
  input: PublicationInput,
): Promise<RecordedPublication> {
  const parsed = PublicationInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new KilnError(
      'INPUT_INVALID',
      `publication of ${String(input.image)}:${String(input.version)}: ${describeZodIssues(parsed.error)}`,
      { cause: parsed.error },
    );
  }
  const p = parsed.data;
  return withDatabase(`recording publication ${p.image}:${p.version} (${p.variant}) ${p.digest}`, () =>
    inTransaction(db, async (trx) => {
      await trx
        .insertInto('images')
        .values({ name: p.image, primary_package: null })
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .insertInto('image_versions')
        .values({ image: p.image, line: p.line, version: p.version, variant: p.variant, maintained: true })
        .onConflict((oc) => oc.doNothing())
        .execute();
      const { kind, ...detail } = p.trigger;
      const { id } = await trx
        .insertInto('publications')
        .values({
          image: p.image,
          line: p.line,
          version: p.version,
          variant: p.variant,
          digest: p.digest,
          timestamp_tag: p.timestampTag,
          published_at: p.publishedAt,
          trigger_kind: kind,
          trigger_detail: JSON.stringify(detail),
          reason: p.reason,
          input_fingerprint: p.inputFingerprint,
          inputs: p.inputs == null ? null : JSON.stringify(p.inputs),
          primary_version: p.primaryVersion ?? null,
          previous_digest: p.previousDigest,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const publicationId = Number(id);
      for (let i = 0; i < p.packages.length; i += CHUNK) {
        await trx
          .insertInto('publication_packages')
          .values(p.packages.slice(i, i + CHUNK).map((pkg) => ({ publication_id: publicationId, ...pkg })))
          .execute();
      }
      for (let i = 0; i < p.changes.length; i += CHUNK) {
        await trx
          .insertInto('publication_changes')
          .values(
            p.changes.slice(i, i + CHUNK).map((c, j) => ({
              publication_id: publicationId,
              ordinal: i + j,
              kind: c.kind,
              name: c.name,
              from_version: c.from,
              to_version: c.to,
            })),
          )
          .execute();
      }
      // a fixed order, so two publications moving the same tags cannot deadlock
      const tags = [...p.tags].sort((a, b) => compareKey(a, b));
      if (tags.length > 0) {
        await trx
          .insertInto('publication_tags')
          .values(tags.map((t) => ({ publication_id: publicationId, repository: t.repository, tag: t.tag })))
          .execute();
      }
      const outcomes: TagOutcome[] = [];
      for (const t of tags) outcomes.push(await moveTag(trx, t, p.digest, p.publishedAt, publicationId));
      const publication: Publication = {
        id: publicationId,
        image: p.image,
        line: p.line,
        version: p.version,
        variant: p.variant,
        digest: p.digest,
        timestampTag: p.timestampTag,
        publishedAt: p.publishedAt,
        trigger: p.trigger,
        reason: p.reason,
        inputFingerprint: p.inputFingerprint,
        inputs: p.inputs ?? null,
        primaryVersion: p.primaryVersion ?? null,
        previousDigest: p.previousDigest,
        tags,
      };
      return { publication, tags: outcomes };
    }),
  );
}

async function moveTag(
  trx: Transaction<Schema>,
  t: { readonly repository: string; readonly tag: string },
  digest: Digest,
  at: Date,
  publicationId: number,
): Promise<TagOutcome> {
  // Row locks cannot cover a tag that does not exist yet; an advisory lock on the
  // (repository, tag) pair serialises concurrent publishers on PostgreSQL until commit.
  const key = `${t.repository}:${t.tag}`;
  await sql`select pg_advisory_xact_lock(${sql.lit(TAG_LOCK_SPACE)}, hashtext(${key}))`.execute(trx);
  const current = await trx
    .selectFrom('tags')
    .select('digest')
    .where('repository', '=', t.repository)
    .where('tag', '=', t.tag)
    .executeTakeFirst();
  const from = (current?.digest ?? null) as Digest | null;
  if (from === digest) return { ...t, status: 'unchanged', from };
  await trx
    .insertInto('tags')
    .values({ repository: t.repository, tag: t.tag, digest, updated_at: at })
    .onConflict((oc) => oc.columns(['repository', 'tag']).doUpdateSet({ digest, updated_at: at }))
    .execute();
  await trx
    .insertInto('tag_moves')
    .values({
      repository: t.repository,
      tag: t.tag,
      from_digest: from,
      to_digest: digest,
      moved_at: at,
      publication_id: publicationId,
    })
    .execute();
  return { ...t, status: from === null ? 'created' : 'moved', from };
}

function compareKey(a: { readonly repository: string; readonly tag: string }, b: typeof a): number {
  const x = `${a.repository}\u0000${a.tag}`;
  const y = `${b.repository}\u0000${b.tag}`;
  return x < y ? -1 : x > y ? 1 : 0;
}
