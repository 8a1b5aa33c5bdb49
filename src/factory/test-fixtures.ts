import type { ApkVersion } from '../apk/index.ts';
import type { Digest } from '../oci/index.ts';
import type { Publication } from './history-reader.ts';
import type { InputFingerprint } from './input-fingerprint.ts';

/** `sha256:` + the hex of one repeated character: readable digests for tables. */
export const digest = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;

export const v = (s: string): ApkVersion => s as ApkVersion;

/** A publication record for tests; the fingerprint is only compared for equality. */
export function publication(p: {
  readonly image?: string;
  readonly line: string;
  readonly variant?: string;
  readonly primaryVersion: string;
  readonly digest: Digest;
  readonly at: string;
  readonly tags?: readonly string[];
  readonly fingerprint?: string;
}): Publication {
  const version = p.primaryVersion.replace(/-r[0-9]+$/, '');
  return {
    image: p.image ?? 'nginx',
    line: p.line,
    variant: p.variant ?? 'prod',
    version: v(version),
    primaryVersion: v(p.primaryVersion),
    digest: p.digest,
    publishedAt: p.at,
    tags: p.tags ?? [],
    fingerprint: (p.fingerprint ?? `fp-${p.digest}`) as InputFingerprint,
  };
}
