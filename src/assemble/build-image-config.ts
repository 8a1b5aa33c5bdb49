import { MediaType, type Digest, type ImageConfig } from '../oci/index.ts';
import { ociPlatformOf, type Arch } from './arch.ts';
import type { ImageSpec } from './image-spec.ts';
import { jsonBlob, type JsonBlob } from './json-blob.ts';

export type ImageConfigInput = {
  readonly spec: ImageSpec;
  readonly arch: Arch;
  /** sha256 of each uncompressed layer, bottom first. */
  readonly diffIds: readonly Digest[];
  /** SOURCE_DATE_EPOCH: `created` and every history entry. */
  readonly sourceDateEpoch: number;
  /** `"8080/tcp"` style ports; apko configs have none, a caller may add them. */
  readonly exposedPorts?: readonly string[];
};

/** What apko sets when the configuration does not. */
const DEFAULT_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
};

/** `2024-01-01T00:00:00Z`: RFC 3339 without fractions, as apko and most tools write it. */
export function rfc3339(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The argv the image starts with, from the apko entrypoint forms. */
export function entrypointArgv(spec: ImageSpec): readonly string[] | undefined {
  const e = spec.entrypoint;
  switch (e.kind) {
    case 'none':
      return undefined;
    case 'command':
      return e.argv;
    case 'shell-fragment':
      return ['/bin/sh', '-c', e.fragment];
    case 'service-bundle':
      return ['/bin/s6-svscan', '/sv'];
    default: {
      const never: never = e;
      return never;
    }
  }
}

/**
 * The image annotations apko derives: the configuration's own, plus
 * org.opencontainers.image.source/revision from `vcs-url: URL@REVISION` (a URL without
 * a revision becomes the source alone).
 */
export function imageAnnotations(spec: ImageSpec): Record<string, string> {
  const out: Record<string, string> = { ...spec.annotations };
  if (spec.vcsUrl !== undefined) {
    const at = spec.vcsUrl.lastIndexOf('@');
    const url = at > 0 ? spec.vcsUrl.slice(0, at) : spec.vcsUrl;
    out['org.opencontainers.image.source'] ??= url;
    if (at > 0) out['org.opencontainers.image.revision'] ??= spec.vcsUrl.slice(at + 1);
  }
  return out;
}

/** The OCI image config for one architecture, canonical JSON. Pure: same input, same bytes. */
export function buildImageConfig(input: ImageConfigInput): JsonBlob {
  const { spec } = input;
  const created = rfc3339(input.sourceDateEpoch);
  const env = { ...DEFAULT_ENV, ...spec.environment };
  const labels = Object.fromEntries(Object.entries(imageAnnotations(spec)).filter(([k]) => k.startsWith('org.opencontainers.image.')));
  const entrypoint = entrypointArgv(spec);
  const platform = ociPlatformOf(input.arch);
  const config: ImageConfig = {
    created,
    author: 'kiln',
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant !== undefined && { variant: platform.variant }),
    config: {
      ...(spec.accounts.runAs !== undefined && { User: spec.accounts.runAs.text }),
      Env: Object.keys(env).sort().map((k) => `${k}=${env[k] ?? ''}`),
      ...(entrypoint !== undefined && { Entrypoint: [...entrypoint] }),
      ...(spec.cmd !== undefined && { Cmd: [...spec.cmd.argv] }),
      ...(spec.workDir !== undefined && { WorkingDir: spec.workDir }),
      ...(spec.stopSignal !== undefined && { StopSignal: spec.stopSignal }),
      ...(spec.volumes.length > 0 && { Volumes: Object.fromEntries(spec.volumes.map((v) => [v, {}])) }),
      ...(input.exposedPorts !== undefined && input.exposedPorts.length > 0 && {
        ExposedPorts: Object.fromEntries(input.exposedPorts.map((p) => [p, {}])),
      }),
      ...(Object.keys(labels).length > 0 && { Labels: labels }),
    },
    rootfs: { type: 'layers', diff_ids: [...input.diffIds] },
    history: input.diffIds.map(() => ({ created, created_by: 'kiln image build', comment: 'kiln: packages and configuration' })),
  };
  return jsonBlob(MediaType.ociConfig, config);
}
