/** APK architecture names → OCI (GOARCH) names, for the image purl; unknown names pass through. */
const OCI_ARCH: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  armv7: 'arm',
  armhf: 'arm',
  x86: '386',
  ppc64le: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

export function ociArchOf(apkArch: string): string {
  return OCI_ARCH[apkArch] ?? apkArch;
}
