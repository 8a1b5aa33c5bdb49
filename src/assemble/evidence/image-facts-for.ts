import type { ImageFacts } from '../../attest/index.ts';
import type { Digest } from '../../oci/index.ts';
import type { ImageSpec } from '../image-spec.ts';
import type { ArchPackageEvidence } from './package-evidence.ts';

/** How the image is named in its SBOMs and provenance: where it is published. */
export type ImageIdentity = {
  /** Short name, e.g. `hello`. */
  readonly name: string;
  /** `HOST/REPO` for a registry, the layout's name for `oci:DIR`. */
  readonly repository: string;
};

/** The distro name in APK purls: the configuration's os-release ID, else kiln's. */
export function distroOf(spec: ImageSpec): string {
  const id = spec.osRelease?.id?.toLowerCase();
  return id !== undefined && /^[a-z0-9][a-z0-9._-]*$/.test(id) ? id : 'kiln';
}

/** The supplier named in the SBOMs: the configuration's os-release NAME, else kiln. */
export function supplierOf(spec: ImageSpec): string {
  return spec.osRelease?.name ?? 'kiln';
}

/**
 * The facts one platform image's SBOMs are made from. Everything is from the build
 * (never the clock): the same inputs give the same documents, byte for byte.
 */
export function imageFactsFor(
  evidence: ArchPackageEvidence,
  spec: ImageSpec,
  options: { readonly identity: ImageIdentity; readonly digest: Digest; readonly sourceDateEpoch: number; readonly toolVersion?: string },
): ImageFacts {
  return {
    name: options.identity.name,
    repository: options.identity.repository,
    digest: options.digest,
    arch: evidence.arch,
    distro: distroOf(spec),
    supplier: supplierOf(spec),
    packages: evidence.packages,
    sourceDateEpoch: options.sourceDateEpoch,
    ...(options.toolVersion !== undefined && { toolVersion: options.toolVersion }),
  };
}
