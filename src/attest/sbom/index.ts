export { buildSpdxDocument, apkSpdxId, q1ToHex, SPDX_MEDIA_TYPE, IMAGE_SPDX_ID, type SpdxSbom } from './spdx-document.ts';
export { buildCycloneDxBom, CYCLONEDX_MEDIA_TYPE, type CycloneDxSbom } from './cyclonedx-bom.ts';
export { mergePackageSpdx, type MergedSpdx } from './merge-package-spdx.ts';
export { SpdxDocumentSchema, type SpdxDocument, type SpdxPackage, type SpdxFile, type SpdxRelationship } from './spdx-types.ts';
export { imagePurl, apkPurl } from './purl.ts';
export { parseInstalledDb, INSTALLED_DB_PATH, type InstalledPackage } from './installed-db.ts';
export {
  checkSbomCompleteness,
  IMAGE_CONFIG_PATHS,
  type CompletenessInput,
  type CompletenessViolation,
  type SbomPackageRef,
} from './sbom-completeness.ts';
export { apkPackagesOfSpdx, apkPackagesOfCycloneDx } from './sbom-packages.ts';
export { isLicenseExpression } from './license-expression.ts';
