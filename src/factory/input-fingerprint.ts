import { createHash } from 'node:crypto';
import type { ApkVersion } from '../apk/index.ts';
import { canonicalJson, type Digest } from '../oci/index.ts';

/** One package of an image's resolution, as the solver chose it from the current repositories. */
export type ResolvedPackage = {
  readonly name: string;
  readonly version: ApkVersion;
  /** The APK identity (`Q1…`): a rebuilt package with the same version has a new one. */
  readonly checksum: string;
  /** For multi-architecture images: the architecture this resolution is for. */
  readonly arch?: string;
};

/**
 * Everything that decides an image's bytes besides the clock (which is fixed to
 * SOURCE_DATE_EPOCH anyway). Toolchain-only packages are never here: they are in build
 * environments, not in any image's resolution, so they cannot trigger an image rebuild.
 */
export type ImageInputs = {
  /** Sorted by arch, then name. */
  readonly packages: readonly ResolvedPackage[];
  /** Of the apko config plus the variant's additions ({@link CatalogVariant.configDigest}). */
  readonly configDigest: Digest;
  /** kiln's own version: a new assembler may write different bytes from the same inputs. */
  readonly assemblerVersion: string;
  readonly variant: string;
};

export type InputFingerprint = string & { readonly __brand: 'InputFingerprint' };

/** Sorts packages the way {@link ImageInputs} holds them. */
export function sortPackages(packages: readonly ResolvedPackage[]): ResolvedPackage[] {
  const key = (p: ResolvedPackage): string => `${p.arch ?? ''}\0${p.name}`;
  return [...packages].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * `sha256:` over the canonical JSON of the sorted (name, checksum) list, the config
 * digest, the assembler version and the variant. Versions are left out on purpose: the
 * checksum already changes with them, and a rebuilt package with the same version must
 * still count as a change.
 */
export function inputFingerprint(inputs: ImageInputs): InputFingerprint {
  const packages = sortPackages(inputs.packages).map((p) => (p.arch === undefined ? [p.name, p.checksum] : [p.name, p.checksum, p.arch]));
  const json = canonicalJson({ packages, configDigest: inputs.configDigest, assemblerVersion: inputs.assemblerVersion, variant: inputs.variant });
  return `sha256:${createHash('sha256').update(json, 'utf8').digest('hex')}` as InputFingerprint;
}
