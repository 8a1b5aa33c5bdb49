import { createHash } from 'node:crypto';
import { SpdxDocumentSchema } from '../../attest/index.ts';
import { KilnError, describeZodIssues } from '../../errors/index.ts';

/**
 * One SPDX document for a package that carries several under var/lib/db/sbom (a package
 * repacked from another build, say): each document's elements are renamed
 * `SPDXRef-D<n>-<id>` so that two `SPDXRef-Package-src` cannot collide, and the result
 * DESCRIBES everything any of them described. One document is returned as it is; none
 * gives undefined. The image SBOM then folds it in like any package's own document.
 */
export function mergeSpdxDocuments(docs: readonly { readonly path: string; readonly json: unknown }[], where: string): unknown {
  if (docs.length === 0) return undefined;
  if (docs.length === 1) return docs[0]?.json;
  const packages: unknown[] = [];
  const files: unknown[] = [];
  const relationships: unknown[] = [];
  const describes: string[] = [];
  const licenses = new Map<string, unknown>();
  docs.forEach((d, n) => {
    const r = SpdxDocumentSchema.safeParse(d.json);
    if (!r.success) throw new KilnError('PACKAGE_INVALID', `${where}: /${d.path} is not an SPDX 2.x document: ${describeZodIssues(r.error)}`);
    const doc = r.data;
    const known = new Set([...(doc.packages ?? []).map((p) => p.SPDXID), ...(doc.files ?? []).map((f) => f.SPDXID)]);
    const rename = (id: string): string => (known.has(id) ? `SPDXRef-D${n}-${id.replace(/^SPDXRef-/, '')}` : id);
    for (const p of doc.packages ?? []) packages.push({ ...p, SPDXID: rename(p.SPDXID), ...(p.hasFiles !== undefined && { hasFiles: p.hasFiles.map(rename) }) });
    for (const f of doc.files ?? []) files.push({ ...f, SPDXID: rename(f.SPDXID) });
    for (const id of doc.documentDescribes ?? []) describes.push(rename(id));
    for (const rel of doc.relationships ?? []) {
      if (rel.spdxElementId === 'SPDXRef-DOCUMENT' && rel.relationshipType === 'DESCRIBES') describes.push(rename(rel.relatedSpdxElement));
      else relationships.push({ ...rel, spdxElementId: rename(rel.spdxElementId), relatedSpdxElement: rename(rel.relatedSpdxElement) });
    }
    for (const l of doc.hasExtractedLicensingInfos ?? []) if (!licenses.has(l.licenseId)) licenses.set(l.licenseId, l);
  });
  const namespace = createHash('sha256');
  for (const d of docs) namespace.update(`${d.path}\n${JSON.stringify(d.json)}\n`);
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `${where} (${docs.length} documents)`,
    documentNamespace: `https://spdx.org/spdxdocs/kiln/merged/${namespace.digest('hex')}`,
    documentDescribes: [...new Set(describes)].sort(),
    packages,
    files,
    relationships,
    ...(licenses.size > 0 && { hasExtractedLicensingInfos: [...licenses.values()] }),
  };
}
