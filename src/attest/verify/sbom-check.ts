import type { ImageManifest } from '../../oci/index.ts';
import type { EvidenceStore } from '../attach/index.ts';
import { PredicateType, type ParsedStatement } from '../provenance/index.ts';
import { INSTALLED_DB_PATH, apkPackagesOfCycloneDx, apkPackagesOfSpdx, checkSbomCompleteness, parseInstalledDb } from '../sbom/index.ts';
import { readImageFile } from './read-image-file.ts';
import { fail, pass, skip, type VerifyCheck } from './verify-check.ts';

/** The SBOM attestations list exactly the packages of the image's `lib/apk/db/installed`. */
export async function checkInstalledPackages(store: EvidenceStore, manifest: ImageManifest, statements: ReadonlyMap<string, ParsedStatement>): Promise<VerifyCheck> {
  const name = 'sbom.installed';
  const db = await readImageFile(store, manifest, INSTALLED_DB_PATH);
  if (db === undefined) return skip(name, `the image has no ${INSTALLED_DB_PATH}`);
  const installed = parseInstalledDb(db.toString('utf8'));
  const problems: string[] = [];
  const spdx = statements.get(PredicateType.spdx);
  const cdx = statements.get(PredicateType.cyclonedx);
  const sboms = [
    ...(spdx !== undefined ? [{ label: 'SPDX', packages: apkPackagesOfSpdx(spdx.predicate, 'SPDX attestation') }] : []),
    ...(cdx !== undefined ? [{ label: 'CycloneDX', packages: apkPackagesOfCycloneDx(cdx.predicate, 'CycloneDX attestation') }] : []),
  ];
  for (const s of sboms) {
    const violations = checkSbomCompleteness({ sbomPackages: s.packages, installed });
    if (violations.length > 0) {
      const shown = violations.slice(0, 5).map((v) => v.reason);
      problems.push(`${s.label}: ${shown.join('; ')}${violations.length > shown.length ? `; and ${violations.length - shown.length} more` : ''}`);
    }
  }
  if (problems.length > 0) return fail(name, problems.join(' | '));
  return pass(name, `${installed.length} installed packages, all in ${sboms.map((s) => s.label).join(' and ')} at their installed versions`);
}
