import { z } from 'zod';

/**
 * The parts of SPDX 2.3 JSON kiln writes and reads. Reading is loose (unknown fields are
 * kept) because per-package documents from builds may carry more than kiln writes.
 */
const Checksum = z.looseObject({ algorithm: z.string(), checksumValue: z.string() });
const ExternalRef = z.looseObject({ referenceCategory: z.string(), referenceType: z.string(), referenceLocator: z.string() });

export const SpdxPackageSchema = z.looseObject({
  SPDXID: z.string(),
  name: z.string(),
  versionInfo: z.string().optional(),
  downloadLocation: z.string(),
  checksums: z.array(Checksum).optional(),
  externalRefs: z.array(ExternalRef).optional(),
  hasFiles: z.array(z.string()).optional(),
  licenseDeclared: z.string().optional(),
});
export type SpdxPackage = z.infer<typeof SpdxPackageSchema>;

export const SpdxFileSchema = z.looseObject({ SPDXID: z.string(), fileName: z.string() });
export type SpdxFile = z.infer<typeof SpdxFileSchema>;

export const SpdxRelationshipSchema = z.looseObject({
  spdxElementId: z.string(),
  relationshipType: z.string(),
  relatedSpdxElement: z.string(),
});
export type SpdxRelationship = z.infer<typeof SpdxRelationshipSchema>;

export const SpdxExtractedLicenseSchema = z.looseObject({ licenseId: z.string(), extractedText: z.string() });
export type SpdxExtractedLicense = z.infer<typeof SpdxExtractedLicenseSchema>;

export const SpdxDocumentSchema = z.looseObject({
  spdxVersion: z.string().regex(/^SPDX-2\.[0-9]$/),
  SPDXID: z.literal('SPDXRef-DOCUMENT'),
  name: z.string(),
  documentNamespace: z.string(),
  documentDescribes: z.array(z.string()).optional(),
  packages: z.array(SpdxPackageSchema).optional(),
  files: z.array(SpdxFileSchema).optional(),
  relationships: z.array(SpdxRelationshipSchema).optional(),
  hasExtractedLicensingInfos: z.array(SpdxExtractedLicenseSchema).optional(),
});
export type SpdxDocument = z.infer<typeof SpdxDocumentSchema>;
