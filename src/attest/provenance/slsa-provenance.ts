import type { Digest } from '../../oci/index.ts';
import { apkPurl, q1ToHex } from '../sbom/index.ts';
import { isoTime, type ImageFacts } from '../image-facts.ts';
import { PredicateType, imageStatement, type ResourceDescriptor, type Statement } from './statement.ts';

/** kiln's build type: what `externalParameters` and `internalParameters` mean is defined by it. */
export const KILN_BUILD_TYPE = 'https://kiln.dev/build-types/image/v1';

export type ProvenanceInput = {
  readonly facts: ImageFacts;
  /** Who built it: the factory's id, e.g. `https://factory.example.com/kiln`. */
  readonly builderId: string;
  readonly builderVersion?: Readonly<Record<string, string>>;
  /** The image configuration file, with the digest of its bytes. */
  readonly imageConfig: { readonly uri: string; readonly digest: Digest; readonly content?: unknown };
  /** Package recipes that went into the image, each with its digest. */
  readonly recipes?: readonly { readonly name: string; readonly uri: string; readonly digest: Digest }[];
  /** Other parameters the user controlled (tags, arch list…). */
  readonly externalParameters?: Readonly<Record<string, unknown>>;
  /** Parameters the factory chose (worker, job id…). */
  readonly internalParameters?: Readonly<Record<string, unknown>>;
  /** The build environment (base images, toolchains) with digests. */
  readonly buildEnvironment?: readonly ResourceDescriptor[];
  /** Where each package (by name) was resolved from: its APK repository, written as an annotation. */
  readonly packageRepositories?: Readonly<Record<string, string>>;
  readonly invocationId: string;
  /** Seconds since the epoch. */
  readonly startedOn: number;
  readonly finishedOn: number;
};

export type SlsaProvenance = {
  readonly buildDefinition: {
    readonly buildType: string;
    readonly externalParameters: Readonly<Record<string, unknown>>;
    readonly internalParameters?: Readonly<Record<string, unknown>>;
    readonly resolvedDependencies: readonly ResourceDescriptor[];
  };
  readonly runDetails: {
    readonly builder: { readonly id: string; readonly version?: Readonly<Record<string, string>> };
    readonly metadata: { readonly invocationId: string; readonly startedOn: string; readonly finishedOn: string };
  };
};

function digestMap(d: Digest): Record<string, string> {
  const [alg, hex] = d.split(':') as [string, string];
  return { [alg]: hex };
}

/**
 * The SLSA v1 provenance statement for an image. kiln writes it from outside the build
 * sandbox (the build never sees the signing key), so it is what the factory observed: the
 * inputs by digest — image configuration, recipes, every upstream source, every APK and
 * the build environment — and when and by whom the build ran.
 */
export function buildProvenance(input: ProvenanceInput): Statement<SlsaProvenance> {
  const { facts } = input;
  const deps = new Map<string, ResourceDescriptor>();
  const add = (r: ResourceDescriptor) => deps.set(`${r.uri ?? ''}\u0000${r.name ?? ''}`, r);
  for (const p of facts.packages) {
    if (p.source !== undefined) {
      const digest: Record<string, string> = {
        ...(p.source.digest !== undefined && digestMap(p.source.digest)),
        ...(p.source.commit !== undefined && { gitCommit: p.source.commit }),
      };
      if (Object.keys(digest).length > 0) add({ uri: p.source.downloadLocation, digest, name: `source of ${p.origin ?? p.name}` });
    }
    const digest: Record<string, string> = {
      ...(p.sha256 !== undefined && { sha256: p.sha256 }),
      ...(p.checksum !== undefined && { sha1: q1ToHex(p.checksum) }),
    };
    const repository = input.packageRepositories?.[p.name];
    add({ uri: apkPurl(facts.distro, p), digest, name: p.name, ...(repository !== undefined && { annotations: { repository } }) });
  }
  for (const r of input.recipes ?? []) add({ uri: r.uri, digest: digestMap(r.digest), name: `recipe ${r.name}` });
  for (const r of input.buildEnvironment ?? []) add(r);
  const resolvedDependencies = [...deps.values()].sort((a, b) => ((a.uri ?? '') < (b.uri ?? '') ? -1 : (a.uri ?? '') > (b.uri ?? '') ? 1 : 0));
  const predicate: SlsaProvenance = {
    buildDefinition: {
      buildType: KILN_BUILD_TYPE,
      externalParameters: {
        ...input.externalParameters,
        imageConfig: {
          uri: input.imageConfig.uri,
          digest: digestMap(input.imageConfig.digest),
          ...(input.imageConfig.content !== undefined && { content: input.imageConfig.content }),
        },
        recipes: (input.recipes ?? []).map((r) => ({ name: r.name, uri: r.uri, digest: digestMap(r.digest) })),
        arch: facts.arch,
      },
      ...(input.internalParameters !== undefined && { internalParameters: input.internalParameters }),
      resolvedDependencies,
    },
    runDetails: {
      builder: { id: input.builderId, ...(input.builderVersion !== undefined && { version: input.builderVersion }) },
      metadata: { invocationId: input.invocationId, startedOn: isoTime(input.startedOn), finishedOn: isoTime(input.finishedOn) },
    },
  };
  return imageStatement(facts.repository, facts.digest, PredicateType.slsaProvenance, predicate);
}
