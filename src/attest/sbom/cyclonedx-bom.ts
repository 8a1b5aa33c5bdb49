import { createHash } from 'node:crypto';
import { Enums, Models, SPDX, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { canonicalJsonBytes } from '../../oci/index.ts';
import { hexOf, type ImageFacts, type PackageFacts } from '../image-facts.ts';
import { isLicenseExpression } from './license-expression.ts';
import { apkPurl, imagePurl } from './purl.ts';
import { q1ToHex } from './spdx-document.ts';

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

export type CycloneDxSbom = {
  readonly document: Readonly<Record<string, unknown>>;
  /** Canonical JSON: the same facts always give the same bytes. */
  readonly bytes: Buffer;
};

/**
 * The image's CycloneDX 1.6 BOM, built with the CycloneDX library (so the output follows
 * its normaliser): metadata.component is the image (a container), one library component per
 * APK with its purl, licenses and hashes, and the dependency graph. The serial number is a
 * UUID derived from the image digest and the timestamp is SOURCE_DATE_EPOCH, so the same
 * image gives the same bytes.
 */
export function buildCycloneDxBom(facts: ImageFacts): CycloneDxSbom {
  const image = new Models.Component(Enums.ComponentType.Container, facts.name, {
    bomRef: imagePurl(facts),
    version: facts.digest,
    purl: imagePurl(facts),
    hashes: new Models.HashDictionary([[Enums.HashAlgorithm['SHA-256'], hexOf(facts.digest)]]),
    ...(facts.supplier !== undefined && { supplier: new Models.OrganizationalEntity({ name: facts.supplier }) }),
  });
  const kiln = new Models.Component(Enums.ComponentType.Application, 'kiln', { version: facts.toolVersion ?? '0.1.0' });
  const bom = new Models.Bom({
    serialNumber: serialNumberFor(facts),
    metadata: new Models.Metadata({
      timestamp: new Date(facts.sourceDateEpoch * 1000),
      component: image,
      tools: new Models.Tools({ components: new Models.ComponentRepository([kiln]) }),
      ...(facts.supplier !== undefined && { supplier: new Models.OrganizationalEntity({ name: facts.supplier }) }),
    }),
  });
  const components = new Map<string, Models.Component>();
  for (const p of facts.packages) {
    const c = apkComponent(facts, p);
    components.set(p.name, c);
    bom.components.add(c);
    image.dependencies.add(c.bomRef);
  }
  for (const p of facts.packages) {
    const c = components.get(p.name)!;
    for (const dep of p.depends) {
      const target = components.get(dep);
      if (target !== undefined && dep !== p.name) c.dependencies.add(target.bomRef);
    }
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const document = JSON.parse(serializer.serialize(bom, { sortLists: true })) as Record<string, unknown>;
  return { document, bytes: canonicalJsonBytes(document) };
}

function apkComponent(facts: ImageFacts, p: PackageFacts): Models.Component {
  const purl = apkPurl(facts.distro, p);
  const hashes = new Models.HashDictionary();
  if (p.checksum !== undefined) hashes.set(Enums.HashAlgorithm['SHA-1'], q1ToHex(p.checksum));
  if (p.sha256 !== undefined) hashes.set(Enums.HashAlgorithm['SHA-256'], p.sha256);
  const licenses = new Models.LicenseRepository();
  if (p.license !== undefined) {
    if (SPDX.isSupportedSpdxId(p.license)) licenses.add(new Models.SpdxLicense(p.license));
    else if (isLicenseExpression(p.license)) licenses.add(new Models.LicenseExpression(p.license));
    else licenses.add(new Models.NamedLicense(p.license));
  }
  const refs = new Models.ExternalReferenceRepository();
  if (p.source !== undefined) {
    const source = p.source;
    const type = source.downloadLocation.startsWith('git+') ? Enums.ExternalReferenceType.VCS : Enums.ExternalReferenceType.SourceDistribution;
    const refHashes = new Models.HashDictionary();
    if (source.digest !== undefined) refHashes.set(Enums.HashAlgorithm['SHA-256'], hexOf(source.digest));
    refs.add(
      new Models.ExternalReference(source.downloadLocation, type, {
        hashes: refHashes,
        ...(source.commit !== undefined && { comment: `commit ${source.commit}` }),
      }),
    );
  }
  if (p.url !== undefined && /^https?:\/\//.test(p.url)) refs.add(new Models.ExternalReference(p.url, Enums.ExternalReferenceType.Website));
  const properties = new Models.PropertyRepository();
  properties.add(new Models.Property('kiln:apk:arch', p.arch));
  if (p.origin !== undefined) properties.add(new Models.Property('kiln:apk:origin', p.origin));
  const supplier = p.supplier ?? facts.supplier;
  return new Models.Component(Enums.ComponentType.Library, p.name, {
    bomRef: purl,
    version: p.version,
    purl,
    hashes,
    licenses,
    externalReferences: refs,
    properties,
    ...(supplier !== undefined && { supplier: new Models.OrganizationalEntity({ name: supplier }) }),
  });
}

/** `urn:uuid:` + a version-5-shaped UUID from the image digest (never random: rebuilds must match). */
function serialNumberFor(facts: ImageFacts): string {
  const h = createHash('sha256').update(`kiln cyclonedx ${facts.digest}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
