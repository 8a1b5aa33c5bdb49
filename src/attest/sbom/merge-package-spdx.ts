import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { SpdxDocumentSchema, type SpdxExtractedLicense, type SpdxFile, type SpdxPackage, type SpdxRelationship } from './spdx-types.ts';

export type MergedSpdx = {
  readonly packages: readonly SpdxPackage[];
  readonly files: readonly SpdxFile[];
  readonly relationships: readonly SpdxRelationship[];
  readonly licenses: readonly SpdxExtractedLicense[];
};

/**
 * Folds a package build's own SPDX document into the image's: its packages, files and
 * relationships are kept, every SPDXID is prefixed (`SPDXRef-<prefix>-<old id>`) so two
 * builds' `SPDXRef-Package-src` cannot collide, and what that document DESCRIBES becomes
 * CONTAINED by the image's package for the APK (`apkId`).
 */
export function mergePackageSpdx(doc: unknown, apkId: string, prefix: string, where: string): MergedSpdx {
  const r = SpdxDocumentSchema.safeParse(doc);
  if (!r.success) throw new KilnError('INPUT_INVALID', `${where}: not an SPDX 2.x document: ${describeZodIssues(r.error)}`);
  const d = r.data;
  const known = new Set<string>([...(d.packages ?? []).map((p) => p.SPDXID), ...(d.files ?? []).map((f) => f.SPDXID)]);
  const rename = (id: string): string => `${prefix}-${id.replace(/^SPDXRef-/, '')}`;
  const mapId = (id: string): string | undefined => {
    if (id === 'SPDXRef-DOCUMENT') return apkId;
    if (id === 'NONE' || id === 'NOASSERTION') return id;
    return known.has(id) ? rename(id) : undefined; // a reference to another document's element: dropped
  };
  const packages = (d.packages ?? []).map((p) => ({
    ...p,
    SPDXID: rename(p.SPDXID),
    ...(p.hasFiles !== undefined && { hasFiles: p.hasFiles.filter((f) => known.has(f)).map(rename).sort() }),
  }));
  const files = (d.files ?? []).map((f) => ({ ...f, SPDXID: rename(f.SPDXID) }));
  const described = new Set(d.documentDescribes ?? []);
  const relationships: SpdxRelationship[] = [];
  for (const rel of d.relationships ?? []) {
    if (rel.spdxElementId === 'SPDXRef-DOCUMENT' && rel.relationshipType === 'DESCRIBES') {
      described.add(rel.relatedSpdxElement);
      continue;
    }
    const from = mapId(rel.spdxElementId);
    const to = mapId(rel.relatedSpdxElement);
    if (from !== undefined && to !== undefined) relationships.push({ ...rel, spdxElementId: from, relatedSpdxElement: to });
  }
  for (const id of described) {
    if (known.has(id)) relationships.push({ spdxElementId: apkId, relationshipType: 'CONTAINS', relatedSpdxElement: rename(id) });
  }
  return { packages, files, relationships, licenses: d.hasExtractedLicensingInfos ?? [] };
}
