import type { Kysely } from 'kysely';
import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { DigestText, VariantSchema, type Variant } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';

/** What one cycle did with one image version, as EXAMPLES.md's CycleResult plus where and when. */
export type CycleResultRecord = {
  readonly cycleId: string;
  readonly image: string;
  readonly line: string;
  readonly version: string;
  readonly variant: Variant;
  readonly status: 'published' | 'skipped' | 'failed';
  /** "no package changed", "openssl 3.3.1-r0 → 3.3.2-r0", or the error message. */
  readonly reason: string;
  readonly digest: Digest | null;
  readonly at: Date;
};

const Text = z.string().min(1);
const CycleResultSchema = z
  .object({
    cycleId: Text,
    image: Text,
    line: Text,
    version: Text,
    variant: VariantSchema,
    status: z.enum(['published', 'skipped', 'failed']),
    reason: z.string(),
    digest: DigestText.nullable(),
    at: z.date().refine((d) => !Number.isNaN(d.getTime()), { message: 'invalid date' }),
  })
  .strict();

/** Append one cycle result. Results are never updated; a retry appends another. */
export async function recordCycleResult(db: Kysely<Schema>, result: CycleResultRecord): Promise<{ readonly id: number }> {
  const parsed = CycleResultSchema.safeParse(result);
  if (!parsed.success) {
    throw new KilnError('INPUT_INVALID', `cycle result: ${describeZodIssues(parsed.error)}`, { cause: parsed.error });
  }
  const r = parsed.data;
  return withDatabase(`recording cycle ${r.cycleId} result for ${r.image}:${r.version}`, async () => {
    const { id } = await db
      .insertInto('cycle_results')
      .values({
        cycle_id: r.cycleId,
        image: r.image,
        line: r.line,
        version: r.version,
        variant: r.variant,
        status: r.status,
        reason: r.reason,
        digest: r.digest,
        at: r.at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: Number(id) };
  });
}
