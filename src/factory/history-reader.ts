import type { ApkVersion } from '../apk/index.ts';
import type { Digest } from '../oci/index.ts';
import type { ImageInputs, InputFingerprint } from './input-fingerprint.ts';

/**
 * One publication of an image version in one variant, as the history store records it.
 * Floating tags are not here: they move, and the tag policy derives where they point
 * from the publications themselves.
 */
export type Publication = {
  readonly image: string;
  readonly line: string;
  readonly variant: string;
  /** The primary package's version without `-rN`: the image version, `1.27.4`. */
  readonly version: ApkVersion;
  /** With the revision, `1.27.4-r2`. */
  readonly primaryVersion: ApkVersion;
  readonly digest: Digest;
  /** ISO-8601 UTC. */
  readonly publishedAt: string;
  /** The fixed tags this publication was given: its version tag and its timestamp tag. */
  readonly tags: readonly string[];
  readonly fingerprint: InputFingerprint;
  /** What the fingerprint was made of, so that a rebuild can name what changed; absent in old records. */
  readonly inputs?: ImageInputs;
};

/**
 * What the factory needs from the history store (src/store implements it). Every
 * publication of an image, in any order; the factory picks what it needs.
 */
export type HistoryReader = {
  publications(image: string): Promise<readonly Publication[]>;
};

/** The newest publication (by time, then digest for a stable answer) of a list, or undefined. */
export function newestPublication(pubs: readonly Publication[]): Publication | undefined {
  let best: Publication | undefined;
  for (const p of pubs) {
    if (best === undefined) {
      best = p;
      continue;
    }
    const d = Date.parse(p.publishedAt) - Date.parse(best.publishedAt);
    if (d > 0 || (d === 0 && p.digest > best.digest)) best = p;
  }
  return best;
}
