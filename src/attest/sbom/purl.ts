import { PackageURL } from 'packageurl-js';
import { ociArchOf } from './oci-arch.ts';
import type { ImageFacts, PackageFacts } from '../image-facts.ts';

/** `pkg:oci/<name>@sha256:…?arch=…&repository_url=…`, as syft and trivy write it for images. */
export function imagePurl(facts: ImageFacts): string {
  return new PackageURL('oci', undefined, facts.name, facts.digest, {
    arch: ociArchOf(facts.arch),
    repository_url: facts.repository,
  }).toString();
}

/** `pkg:apk/<distro>/<name>@<version>?arch=<arch>&distro=<distro>`, what grype matches secdb feeds with. */
export function apkPurl(distro: string, p: PackageFacts): string {
  return new PackageURL('apk', distro, p.name, p.version, {
    arch: p.arch,
    distro,
    ...(p.origin !== undefined && p.origin !== p.name && { upstream: p.origin }),
  }).toString();
}
