import type { Platform } from '../oci/index.ts';

/**
 * A CPU architecture in APK form (`x86_64`, `aarch64`, …): the name APK repositories,
 * APKINDEX `A:` fields and repository paths use, so that is the one kiln keeps inside.
 * apko configs may spell it the OCI way (`amd64`, `arm64`, `arm/v7`) as well;
 * {@link parseArch} accepts both and {@link ociPlatformOf} / {@link archFromPlatform}
 * map to and from OCI platforms.
 */
export type Arch = 'x86' | 'x86_64' | 'aarch64' | 'armhf' | 'armv7' | 'ppc64le' | 's390x' | 'riscv64' | 'loongarch64';

type OciArch = { readonly architecture: string; readonly variant?: string };

const OCI: Readonly<Record<Arch, OciArch>> = {
  x86: { architecture: '386' },
  x86_64: { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v6' },
  armv7: { architecture: 'arm', variant: 'v7' },
  ppc64le: { architecture: 'ppc64le' },
  s390x: { architecture: 's390x' },
  riscv64: { architecture: 'riscv64' },
  loongarch64: { architecture: 'loong64' },
};

/** Every architecture, sorted: what `archs: [all]` means. */
export const ALL_ARCHS: readonly Arch[] = (Object.keys(OCI) as Arch[]).sort();

// Both spellings apko accepts, plus the OCI `arm/v6` form.
const ALIASES: Readonly<Record<string, Arch>> = {
  '386': 'x86',
  x86: 'x86',
  amd64: 'x86_64',
  x86_64: 'x86_64',
  arm64: 'aarch64',
  aarch64: 'aarch64',
  armhf: 'armhf',
  'arm/v6': 'armhf',
  armv7: 'armv7',
  'arm/v7': 'armv7',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loongarch64',
  loongarch64: 'loongarch64',
};

/** The accepted spellings, for error messages. */
export const ARCH_SPELLINGS: readonly string[] = Object.keys(ALIASES).sort();

/** `amd64` and `x86_64` alike → `x86_64`; undefined when the name is not an architecture. */
export function parseArch(name: string): Arch | undefined {
  return Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
}

/** The architecture of the machine running kiln (for `archs: [host]`); undefined on one kiln cannot build for. */
export function hostArch(): Arch | undefined {
  const byNode: Readonly<Record<string, Arch>> = {
    x64: 'x86_64', arm64: 'aarch64', ia32: 'x86', arm: 'armv7', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loongarch64',
  };
  return byNode[process.arch];
}

export function ociPlatformOf(arch: Arch): Platform {
  const oci = OCI[arch];
  return { architecture: oci.architecture, os: 'linux', ...(oci.variant !== undefined && { variant: oci.variant }) };
}

/** The APK architecture of an OCI platform; undefined for one kiln cannot build. */
export function archFromPlatform(platform: { readonly architecture: string; readonly variant?: string }): Arch | undefined {
  const { architecture, variant } = platform;
  if (architecture === 'arm') return variant === 'v6' ? 'armhf' : variant === 'v7' || variant === undefined ? 'armv7' : undefined;
  return (Object.keys(OCI) as Arch[]).find((a) => OCI[a].architecture === architecture);
}
