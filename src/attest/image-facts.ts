import { z } from 'zod';
import { KilnError, describeZodIssues } from '../errors/index.ts';
import { DigestSchema, type Digest } from '../oci/index.ts';

/**
 * What the SBOMs and the provenance are made from: the image and its APK packages as the
 * assembler resolved them. Everything here is data the factory already has; nothing is
 * re-derived from the registry, so the same facts always give the same documents.
 */
export type PackageSource = {
  /** Where the upstream source came from (a tarball URL, `git+https://…`). */
  readonly downloadLocation: string;
  /** `sha256:<hex>` of the fetched source archive, when known. */
  readonly digest?: Digest;
  /** The git commit the source was checked out at, when it came from git. */
  readonly commit?: string;
};

export type PackageFacts = {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** An SPDX license expression, as the package declares it. */
  readonly license?: string;
  /** The organisation that supplies the package (the distro vendor). */
  readonly supplier?: string;
  /** The APK origin (the recipe the package was split from). */
  readonly origin?: string;
  /** The project's homepage (APK `url`). */
  readonly url?: string;
  readonly source?: PackageSource;
  /** The APK control checksum `Q1<base64 sha1>`. */
  readonly checksum?: string;
  /** SHA-256 of the .apk file, hex, when known. */
  readonly sha256?: string;
  /** Names of the packages in this image that this one depends on. */
  readonly depends: readonly string[];
  /** The SPDX document the package build produced, merged into the image's. */
  readonly spdx?: unknown;
};

export type ImageFacts = {
  /** Short image name, e.g. `hello`. */
  readonly name: string;
  /** Where it is published, e.g. `registry.example.com/kiln/hello` (the purl's repository_url). */
  readonly repository: string;
  readonly digest: Digest;
  /** APK spelling: x86_64, aarch64. */
  readonly arch: string;
  /** The distro name used in APK purls (`pkg:apk/<distro>/…`). */
  readonly distro: string;
  readonly supplier?: string;
  readonly packages: readonly PackageFacts[];
  /** Every timestamp inside the documents (SOURCE_DATE_EPOCH). */
  readonly sourceDateEpoch: number;
  /** Version of kiln that wrote the documents. */
  readonly toolVersion?: string;
};

const CommitHex = z.string().regex(/^[0-9a-f]{7,64}$/);

const PackageFactsSchema = z.strictObject({
  name: z.string().min(1),
  version: z.string().min(1),
  arch: z.string().min(1),
  license: z.string().min(1).optional(),
  supplier: z.string().min(1).optional(),
  origin: z.string().min(1).optional(),
  url: z.string().min(1).optional(),
  source: z
    .strictObject({ downloadLocation: z.string().min(1), digest: DigestSchema.optional(), commit: CommitHex.optional() })
    .optional(),
  checksum: z.string().regex(/^Q1[A-Za-z0-9+/]{27}=$/, { message: 'expected Q1 followed by base64 SHA-1' }).optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  depends: z.array(z.string()).default([]),
  spdx: z.unknown().optional(),
});

export const ImageFactsSchema = z.strictObject({
  name: z.string().min(1),
  repository: z.string().min(1),
  digest: DigestSchema,
  arch: z.string().min(1),
  distro: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
  supplier: z.string().min(1).optional(),
  packages: z.array(PackageFactsSchema),
  sourceDateEpoch: z.number().int().nonnegative(),
  toolVersion: z.string().optional(),
});

/** Parses facts read from a file or the network. */
export function parseImageFacts(json: unknown, where: string): ImageFacts {
  const r = ImageFactsSchema.safeParse(json);
  if (!r.success) throw new KilnError('INPUT_INVALID', `${where}: ${describeZodIssues(r.error)}`);
  const names = new Set<string>();
  for (const p of r.data.packages) {
    if (names.has(p.name)) throw new KilnError('INPUT_INVALID', `${where}: package ${p.name} is listed twice`);
    names.add(p.name);
  }
  return r.data as ImageFacts;
}

/** `sha256:<hex>` → `<hex>`. */
export function hexOf(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** RFC 3339 in UTC, second precision, from SOURCE_DATE_EPOCH. */
export function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}
