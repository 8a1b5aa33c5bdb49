import { createHash } from 'node:crypto';
import { MediaType, type Digest } from '../oci/index.ts';
import { blobOf, makeImage, tarLayer, type TestManifest } from '../testing/index.ts';
import type { ImageFacts, PackageFacts } from './image-facts.ts';
import type { InstalledPackage } from './sbom/index.ts';

/** Test data: `n` packages in a chain (each depends on the next), with sources and checksums. */
export function samplePackages(n: number): PackageFacts[] {
  return Array.from({ length: n }, (_, i) => {
    const name = i === 0 ? 'glibc' : `pkg-${String(i).padStart(2, '0')}`;
    const sha1 = createHash('sha1').update(name).digest('base64');
    return {
      name,
      version: `1.${i}.0-r${i % 3}`,
      arch: 'x86_64',
      license: i % 4 === 0 ? 'MIT' : i % 4 === 1 ? 'GPL-2.0-or-later AND BSD-3-Clause' : i % 4 === 2 ? 'Apache-2.0 OR LicenseRef-kiln-custom' : 'custom license text',
      supplier: 'Example Corp',
      origin: i % 5 === 4 ? 'pkg-03' : name,
      url: `https://example.org/${name}`,
      source: {
        downloadLocation: `https://example.org/releases/${name}-1.${i}.0.tar.gz`,
        digest: `sha256:${createHash('sha256').update(`src ${name}`).digest('hex')}` as Digest,
      },
      checksum: `Q1${sha1}`,
      sha256: createHash('sha256').update(`apk ${name}`).digest('hex'),
      depends: i + 1 < n ? [`pkg-${String(i + 1).padStart(2, '0')}`, 'so:libc.so.6'] : [],
    };
  });
}

export function sampleFacts(digest: Digest, packages: readonly PackageFacts[] = samplePackages(5)): ImageFacts {
  return {
    name: 'hello',
    repository: 'registry.example.com/kiln/hello',
    digest,
    arch: 'x86_64',
    distro: 'kiln',
    supplier: 'Example Corp',
    packages,
    sourceDateEpoch: 1_700_000_000,
  };
}

/** `lib/apk/db/installed` text for packages, each owning `usr/share/<name>/README`. */
export function installedDbText(packages: readonly Pick<PackageFacts, 'name' | 'version' | 'arch' | 'license'>[]): string {
  return packages
    .map((p) =>
      [`P:${p.name}`, `V:${p.version}`, `A:${p.arch}`, ...(p.license !== undefined ? [`L:${p.license}`] : []), `F:usr/share/${p.name}`, 'R:README', ''].join('\n'),
    )
    .join('\n');
}

export function installedOf(packages: readonly PackageFacts[]): InstalledPackage[] {
  return packages.map((p) => ({ name: p.name, version: p.version, arch: p.arch, ...(p.license !== undefined && { license: p.license }), paths: [`usr/share/${p.name}`, `usr/share/${p.name}/README`] }));
}

/** A one-layer image (uncompressed tar) whose apk database lists `packages`, plus their files. */
export async function imageWithInstalledDb(packages: readonly PackageFacts[]): Promise<TestManifest> {
  const files: Record<string, string> = { 'lib/apk/db/installed': installedDbText(packages), 'etc/passwd': 'root:x:0:0:root:/root:/sbin/nologin\n' };
  for (const p of packages) files[`usr/share/${p.name}/README`] = `${p.name} ${p.version}\n`;
  return makeImage({ layers: [blobOf(await tarLayer(files), MediaType.ociLayerTar)] });
}
