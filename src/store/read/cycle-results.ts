import type { Kysely } from 'kysely';
import { z } from 'zod';
import { DigestText, VariantSchema } from '../publication.ts';
import { RowTimestamp, parseRow } from '../publication-row.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';
import type { CycleResultRecord } from '../write/record-cycle-result.ts';

const CycleRow = z.object({
  cycle_id: z.string(),
  image: z.string(),
  line: z.string(),
  version: z.string(),
  variant: VariantSchema,
  status: z.enum(['published', 'skipped', 'failed']),
  reason: z.string(),
  digest: DigestText.nullable(),
  at: RowTimestamp,
});

/** Every result recorded for one cycle, in the order they were recorded. */
export async function cycleResults(db: Kysely<Schema>, cycleId: string): Promise<readonly CycleResultRecord[]> {
  return withDatabase(`results of cycle ${cycleId}`, async () => {
    const rows = await db
      .selectFrom('cycle_results')
      .select(['cycle_id', 'image', 'line', 'version', 'variant', 'status', 'reason', 'digest', 'at'])
      .where('cycle_id', '=', cycleId)
      .orderBy('id')
      .execute();
    return rows.map((row): CycleResultRecord => {
      const r = parseRow(CycleRow, row, 'cycle_results');
      return {
        cycleId: r.cycle_id,
        image: r.image,
        line: r.line,
        version: r.version,
        variant: r.variant,
        status: r.status,
        reason: r.reason,
        digest: r.digest,
        at: r.at,
      };
    });
  });
}
