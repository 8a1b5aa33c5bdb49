import { createHash } from 'node:crypto';
import { canonicalJsonBytes } from '../../oci/index.ts';
import { hexOf, isoTime, type ImageFacts, type PackageFacts } from '../image-facts.ts';
import { isLicenseExpression } from './license-expression.ts';
import { mergePackageSpdx } from './merge-package-spdx.ts';
import { apkPurl, imagePurl } from './purl.ts';
import { spdxIdFor } from './spdx-id.ts';
import type { SpdxExtractedLicense, SpdxFile, SpdxPackage, SpdxRelationship } from './spdx-types.ts';

export const SPDX_MEDIA_TYPE = 'application/spdx+json';
export const IMAGE_SPDX_ID = 'SPDXRef-Image';

export type SpdxSbom = {
  readonly document: Readonly<Record<string, unknown>>;
  /** Canonical JSON: the same facts always give the same bytes. */
  readonly bytes: Buffer;
};

/** The SPDXID kiln gives an APK package (exported for verification, which maps back). */
export function apkSpdxId(name: string): string {
  return spdxIdFor('Package-apk', name);
}

/**
 * The image's SPDX 2.3 document: it DESCRIBES the image (a CONTAINER package with an OCI
 * purl), which CONTAINS one package per APK; each APK DEPENDS_ON the packages it needs and
 * is GENERATED_FROM a source package for its upstream source. The namespace is derived
 * from the image digest and every time from SOURCE_DATE_EPOCH, so a rebuild of the same
 * image gives the same bytes.
 */
export function buildSpdxDocument(facts: ImageFacts): SpdxSbom {
  const supplier = facts.supplier !== undefined ? `Organization: ${facts.supplier}` : 'NOASSERTION';
  const byName = new Map(facts.packages.map((p) => [p.name, p]));
  const packages: SpdxPackage[] = [imagePackage(facts, supplier)];
  const files: SpdxFile[] = [];
  const licenses = new Map<string, SpdxExtractedLicense>();
  const relationships: SpdxRelationship[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_SPDX_ID },
  ];
  const sources = new Map<string, SpdxPackage>();
  for (const p of facts.packages) {
    const id = apkSpdxId(p.name);
    packages.push(apkPackage(facts, p, id));
    relationships.push({ spdxElementId: IMAGE_SPDX_ID, relationshipType: 'CONTAINS', relatedSpdxElement: id });
    for (const dep of new Set(p.depends)) {
      if (byName.has(dep) && dep !== p.name) {
        relationships.push({ spdxElementId: id, relationshipType: 'DEPENDS_ON', relatedSpdxElement: apkSpdxId(dep) });
      }
    }
    if (p.source !== undefined) {
      const source = sourcePackage(p);
      const existing = sources.get(source.SPDXID);
      if (existing === undefined) sources.set(source.SPDXID, source);
      relationships.push({ spdxElementId: id, relationshipType: 'GENERATED_FROM', relatedSpdxElement: source.SPDXID });
    }
    if (p.spdx !== undefined) {
      const merged = mergePackageSpdx(p.spdx, id, spdxIdFor('Build', p.name), `SPDX document of package ${p.name}`);
      packages.push(...merged.packages);
      files.push(...merged.files);
      relationships.push(...merged.relationships);
      for (const l of merged.licenses) licenses.set(l.licenseId, l);
    }
  }
  packages.push(...sources.values());
  // SPDX requires every LicenseRef- a document uses to be declared in it
  for (const p of packages) {
    for (const ref of String(p.licenseDeclared ?? '').match(/(?<![:\w-])LicenseRef-[A-Za-z0-9.-]+/g) ?? []) {
      if (!licenses.has(ref)) {
        licenses.set(ref, { licenseId: ref, name: ref, extractedText: 'The package declares this license; its text is not part of the package metadata.' });
      }
    }
  }
  const document = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${facts.name}@${facts.digest}`,
    // derived from the digest (not a random UUID) so that the document is reproducible
    documentNamespace: `https://spdx.org/spdxdocs/kiln/${encodeURIComponent(facts.name)}/sha256-${hexOf(facts.digest)}`,
    creationInfo: {
      created: isoTime(facts.sourceDateEpoch),
      creators: [`Tool: kiln-${facts.toolVersion ?? '0.1.0'}`, ...(facts.supplier !== undefined ? [`Organization: ${facts.supplier}`] : [])],
    },
    documentDescribes: [IMAGE_SPDX_ID],
    packages: dedupeById(packages).sort(byId),
    ...(files.length > 0 && { files: dedupeById(files).sort(byId) }),
    relationships: dedupeRelationships(relationships),
    ...(licenses.size > 0 && { hasExtractedLicensingInfos: [...licenses.values()].sort((a, b) => cmp(a.licenseId, b.licenseId)) }),
  };
  return { document, bytes: canonicalJsonBytes(document) };
}

function imagePackage(facts: ImageFacts, supplier: string): SpdxPackage {
  return {
    SPDXID: IMAGE_SPDX_ID,
    name: facts.name,
    versionInfo: facts.digest,
    supplier,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'CONTAINER',
    checksums: [{ algorithm: 'SHA256', checksumValue: hexOf(facts.digest) }],
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: imagePurl(facts) }],
  };
}

function apkPackage(facts: ImageFacts, p: PackageFacts, id: string): SpdxPackage {
  const supplier = p.supplier ?? facts.supplier;
  const license = p.license !== undefined && isLicenseExpression(p.license) ? p.license : 'NOASSERTION';
  const checksums = [
    ...(p.checksum !== undefined ? [{ algorithm: 'SHA1', checksumValue: q1ToHex(p.checksum) }] : []),
    ...(p.sha256 !== undefined ? [{ algorithm: 'SHA256', checksumValue: p.sha256 }] : []),
  ];
  return {
    SPDXID: id,
    name: p.name,
    versionInfo: p.version,
    supplier: supplier !== undefined ? `Organization: ${supplier}` : 'NOASSERTION',
    downloadLocation: p.source?.downloadLocation ?? 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: license,
    ...(license !== p.license && p.license !== undefined && { licenseComments: `declared as: ${p.license}` }),
    copyrightText: 'NOASSERTION',
    ...(p.url !== undefined && /^https?:\/\//.test(p.url) && { homepage: p.url }),
    ...(p.origin !== undefined && { sourceInfo: `built from the kiln recipe ${p.origin}` }),
    ...(checksums.length > 0 && { checksums }),
    externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: apkPurl(facts.distro, p) }],
  };
}

/** One package per distinct upstream source: several APKs split from one recipe share it. */
function sourcePackage(p: PackageFacts): SpdxPackage {
  const source = p.source!;
  const name = p.origin ?? p.name;
  const version = p.version.replace(/-r[0-9]+$/, '');
  const key = `${source.downloadLocation}@${source.digest ?? source.commit ?? ''}`;
  return {
    SPDXID: spdxIdFor('Source', `${name}-${version}-${sha8(key)}`),
    name,
    versionInfo: version,
    downloadLocation: source.downloadLocation,
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'SOURCE',
    ...(source.digest !== undefined && { checksums: [{ algorithm: 'SHA256', checksumValue: source.digest.slice('sha256:'.length) }] }),
    ...(source.commit !== undefined && { sourceInfo: `git commit ${source.commit}` }),
  };
}

/** A short, stable tag for a source (which URL and which digest), to keep source SPDXIDs apart. */
function sha8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** `Q1<base64 sha1>` (the APK control checksum) → hex SHA-1. */
export function q1ToHex(checksum: string): string {
  return Buffer.from(checksum.slice(2), 'base64').toString('hex');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byId(a: { readonly SPDXID: string }, b: { readonly SPDXID: string }): number {
  return cmp(a.SPDXID, b.SPDXID);
}

function dedupeById<T extends { readonly SPDXID: string }>(items: readonly T[]): T[] {
  return [...new Map(items.map((i) => [i.SPDXID, i])).values()];
}

function dedupeRelationships(rels: readonly SpdxRelationship[]): SpdxRelationship[] {
  const key = (r: SpdxRelationship) => `${r.spdxElementId}\u0000${r.relationshipType}\u0000${r.relatedSpdxElement}`;
  return [...new Map(rels.map((r) => [key(r), r])).values()].sort((a, b) => cmp(key(a), key(b)));
}
