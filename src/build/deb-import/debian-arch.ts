import { KilnError } from '../../errors/index.ts';

/** APK architecture → Debian architecture, for the architectures kiln builds images for. */
const DEBIAN_OF_APK: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  armv7: 'armhf',
  x86: 'i386',
  ppc64le: 'ppc64el',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** The Debian name of an APK architecture (`x86_64` → `amd64`); also accepts Debian's own names. */
export function debianArchOf(apkArch: string): string {
  const found = DEBIAN_OF_APK[apkArch] ?? (Object.values(DEBIAN_OF_APK).includes(apkArch) ? apkArch : undefined);
  if (found === undefined) {
    throw new KilnError('INPUT_INVALID', `architecture ${JSON.stringify(apkArch)}: expected one of ${Object.keys(DEBIAN_OF_APK).join(', ')}`);
  }
  return found;
}

/** The APK name of a Debian architecture: `amd64` → `x86_64`, `all` → `noarch`. */
export function apkArchOf(debianArch: string): string {
  if (debianArch === 'all') return 'noarch';
  const found = Object.entries(DEBIAN_OF_APK).find(([, deb]) => deb === debianArch)?.[0];
  if (found === undefined) throw new KilnError('DEB_INVALID', `Debian architecture ${JSON.stringify(debianArch)} has no APK counterpart kiln knows`);
  return found;
}

/** The APK architecture kiln names a repository directory by (`amd64` or `x86_64` → `x86_64`). */
export function apkRepoArch(arch: string): string {
  return apkArchOf(debianArchOf(arch));
}
