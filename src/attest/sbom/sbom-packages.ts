import { PackageURL } from 'packageurl-js';
import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import type { SbomPackageRef } from './sbom-completeness.ts';
import { SpdxDocumentSchema } from './spdx-types.ts';

/** The APK packages an SPDX document lists: those with a `pkg:apk/…` purl. */
export function apkPackagesOfSpdx(json: unknown, where: string): SbomPackageRef[] {
  const r = SpdxDocumentSchema.safeParse(json);
  if (!r.success) throw new KilnError('INPUT_INVALID', `${where}: not an SPDX document: ${describeZodIssues(r.error)}`);
  const out: SbomPackageRef[] = [];
  for (const p of r.data.packages ?? []) {
    const purl = p.externalRefs?.find((ref) => ref.referenceType === 'purl')?.referenceLocator;
    const apk = purl !== undefined ? apkOf(purl) : undefined;
    if (apk !== undefined) out.push(apk);
  }
  return sortRefs(out);
}

const CycloneDxSchema = z.looseObject({
  bomFormat: z.literal('CycloneDX'),
  specVersion: z.string(),
  components: z.array(z.looseObject({ name: z.string(), version: z.string().optional(), purl: z.string().optional() })).optional(),
});

/** The APK packages a CycloneDX BOM lists: components with a `pkg:apk/…` purl. */
export function apkPackagesOfCycloneDx(json: unknown, where: string): SbomPackageRef[] {
  const r = CycloneDxSchema.safeParse(json);
  if (!r.success) throw new KilnError('INPUT_INVALID', `${where}: not a CycloneDX BOM: ${describeZodIssues(r.error)}`);
  const out: SbomPackageRef[] = [];
  for (const c of r.data.components ?? []) {
    const apk = c.purl !== undefined ? apkOf(c.purl) : undefined;
    if (apk !== undefined) out.push(apk);
  }
  return sortRefs(out);
}

function apkOf(purl: string): SbomPackageRef | undefined {
  if (!purl.startsWith('pkg:apk/')) return undefined;
  try {
    const p = PackageURL.fromString(purl);
    return p.version !== undefined && p.version !== null ? { name: p.name, version: p.version } : undefined;
  } catch {
    return undefined;
  }
}

function sortRefs(refs: SbomPackageRef[]): SbomPackageRef[] {
  return refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
