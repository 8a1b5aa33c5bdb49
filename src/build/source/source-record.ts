import { z } from 'zod';

const Sha256 = z.string().regex(/^sha256:[a-f0-9]{64}$/);
const Sha512 = z.string().regex(/^sha512:[a-f0-9]{128}$/);

/**
 * What the source cache knows about one blob besides its bytes. Kept beside the blob
 * as `<hex>.json`; the bytes are the truth, this is for people (where did this come
 * from?) and for finding a detached signature again without the network.
 */
export const SourceRecordSchema = z
  .object({
    sha256: Sha256,
    sha512: Sha512,
    size: z.number().int().nonnegative(),
    /** file names it was added or fetched under, sorted */
    names: z.array(z.string()).readonly(),
    /** URLs it was fetched from, sorted */
    uris: z.array(z.string()).readonly(),
    /** sha256 digests of detached signatures seen for it (themselves cache entries), sorted */
    signatures: z.array(Sha256).readonly(),
  })
  .strict()
  .readonly();

export type SourceRecord = z.infer<typeof SourceRecordSchema>;
