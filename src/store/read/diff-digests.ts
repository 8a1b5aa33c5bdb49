import type { Kysely } from 'kysely';
import { KilnError } from '../../errors/index.ts';
import { parseDigest, type Digest } from '../../oci/index.ts';
import { diffPackageLists } from '../diff-package-lists.ts';
import type { PackageChange } from '../publication.ts';
import type { Schema } from '../schema.ts';
import { digestPackages } from './digest-packages.ts';

export type DigestDiff = {
  readonly from: Digest;
  readonly to: Digest;
  /** Sorted by package name; APK version order decides upgraded vs downgraded. */
  readonly changes: readonly PackageChange[];
};

/**
 * Package changes from digest `a` to digest `b`, both published by kiln. Either string
 * not being a digest is DIGEST_INVALID; a digest kiln never published is NOT_FOUND.
 */
export async function diffDigests(db: Kysely<Schema>, a: string, b: string): Promise<DigestDiff> {
  const from = parseDigest(a, 'first digest');
  const to = parseDigest(b, 'second digest');
  const [before, after] = await Promise.all([digestPackages(db, from), digestPackages(db, to)]);
  if (before === undefined) throw notFound(from);
  if (after === undefined) throw notFound(to);
  return { from, to, changes: diffPackageLists(before.packages, after.packages) };
}

function notFound(digest: Digest): KilnError {
  return new KilnError('NOT_FOUND', `digest ${digest}: no publication of it in the history database`);
}
