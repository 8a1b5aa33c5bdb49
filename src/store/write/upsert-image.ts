import type { Kysely } from 'kysely';
import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { VariantSchema, type Variant } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { withDatabase } from '../with-database.ts';
import { inTransaction } from './in-transaction.ts';

/** The catalog's view of one image, mirrored so history queries can list and join it. */
export type ImageRecord = {
  readonly name: string;
  readonly primaryPackage: string | null;
  readonly versions: readonly {
    readonly line: string;
    readonly version: string;
    readonly variant: Variant;
    /** false once the catalog stops building this version; its history stays. */
    readonly maintained: boolean;
  }[];
};

const Text = z.string().min(1);
const ImageRecordSchema = z
  .object({
    name: Text,
    primaryPackage: Text.nullable(),
    versions: z.array(
      z.object({ line: Text, version: Text, variant: VariantSchema, maintained: z.boolean() }).strict(),
    ),
  })
  .strict();

/**
 * Insert or update an image and the listed versions (versions not listed are left as
 * they are). The factory calls this when it loads the catalog.
 */
export async function upsertImage(db: Kysely<Schema>, image: ImageRecord): Promise<{ readonly name: string }> {
  const parsed = ImageRecordSchema.safeParse(image);
  if (!parsed.success) {
    throw new KilnError('INPUT_INVALID', `image ${String(image.name)}: ${describeZodIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const i = parsed.data;
  return withDatabase(`recording image ${i.name}`, () =>
    inTransaction(db, async (trx) => {
      await trx
        .insertInto('images')
        .values({ name: i.name, primary_package: i.primaryPackage })
        .onConflict((oc) => oc.column('name').doUpdateSet({ primary_package: i.primaryPackage }))
        .execute();
      for (const v of i.versions) {
        await trx
          .insertInto('image_versions')
          .values({ image: i.name, line: v.line, version: v.version, variant: v.variant, maintained: v.maintained })
          .onConflict((oc) =>
            oc.columns(['image', 'line', 'version', 'variant']).doUpdateSet({ maintained: v.maintained }),
          )
          .execute();
      }
      return { name: i.name };
    }),
  );
}
