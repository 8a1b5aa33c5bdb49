import type { Kysely } from 'kysely';
import type { Digest } from '../../oci/index.ts';
import { recordPublication, type PackageRecord, type PublicationInput, type Schema } from '../../store/index.ts';

/**
 * One image's history for the API and CLI tests: python 3.14.1 published on day 1,
 * rebuilt on day 3 with openssl upgraded (same version, new digest), then 3.14.2 on day 5.
 */
export const DAY1 = `sha256:${'1a'.repeat(32)}` as Digest;
export const DAY3 = `sha256:${'3b'.repeat(32)}` as Digest;
export const DAY5 = `sha256:${'5c'.repeat(32)}` as Digest;

const pkg = (name: string, version: string): PackageRecord => ({ name, version, arch: 'x86_64', checksum: `Q1${name}${version}=`, origin: name });
const base = [pkg('ca-certificates', '20250101-r0'), pkg('python-3.14', '3.14.1-r0')];

function publication(version: string, digest: Digest, at: string, rest: Partial<PublicationInput>): PublicationInput {
  const stamp = `${version}-${at.slice(0, 10).replace(/-/g, '')}T0500Z`;
  return {
    image: 'python',
    line: '3.14',
    version,
    variant: 'prod',
    digest,
    timestampTag: stamp,
    publishedAt: new Date(at),
    trigger: { kind: 'schedule' },
    reason: 'first build',
    inputFingerprint: `fp-${digest.slice(7, 15)}`,
    previousDigest: null,
    packages: [],
    changes: [],
    tags: [version, '3.14', 'latest', stamp].map((tag) => ({ repository: 'kiln/python', tag })),
    ...rest,
  };
}

export async function seedHistory(db: Kysely<Schema>): Promise<void> {
  await recordPublication(
    db,
    publication('3.14.1', DAY1, '2026-03-01T05:00:00Z', {
      packages: [...base, pkg('openssl', '3.3.1-r0')],
      changes: [
        { kind: 'added', name: 'ca-certificates', from: null, to: '20250101-r0' },
        { kind: 'added', name: 'openssl', from: null, to: '3.3.1-r0' },
        { kind: 'added', name: 'python-3.14', from: null, to: '3.14.1-r0' },
      ],
    }),
  );
  await recordPublication(
    db,
    publication('3.14.1', DAY3, '2026-03-03T05:00:00Z', {
      trigger: { kind: 'package-updated', packages: [{ name: 'openssl', from: '3.3.1-r0', to: '3.3.2-r0' }] },
      reason: 'openssl 3.3.1-r0 → 3.3.2-r0',
      previousDigest: DAY1,
      packages: [...base, pkg('openssl', '3.3.2-r0')],
      changes: [{ kind: 'upgraded', name: 'openssl', from: '3.3.1-r0', to: '3.3.2-r0' }],
    }),
  );
  await recordPublication(
    db,
    publication('3.14.2', DAY5, '2026-03-05T05:00:00Z', {
      trigger: { kind: 'package-updated', packages: [{ name: 'python-3.14', from: '3.14.1-r0', to: '3.14.2-r0' }] },
      reason: 'new version 3.14.2',
      packages: [pkg('ca-certificates', '20250101-r0'), pkg('openssl', '3.3.2-r0'), pkg('python-3.14', '3.14.2-r0')],
      changes: [{ kind: 'upgraded', name: 'python-3.14', from: '3.14.1-r0', to: '3.14.2-r0' }],
    }),
  );
}
