/**
 * The evidence step of `kiln image build`: the facts the SBOMs and provenance are made of
 * (from the build's own resolution and installed files), the completeness gate that runs
 * before anything is published, the signing key choice, and attaching it all to the
 * published image. It runs in kiln's process, outside any build sandbox.
 */
export { archPackageEvidence, type ArchPackageEvidence, type RepositoryIndex } from './package-evidence.ts';
export { mergeSpdxDocuments } from './merge-spdx-documents.ts';
export { imageFactsFor, distroOf, supplierOf, type ImageIdentity } from './image-facts-for.ts';
export { sbomViolations, assertSbomComplete, type SbomGateInput } from './sbom-gate.ts';
export { attachImageEvidence, type ImageEvidenceInput, type ImageEvidenceResult, type BuildInputFile } from './attach-image-evidence.ts';
export { resolveImageSigningKey, defaultImageKeyPath, type ImageSigningKeySource } from './image-signing-key-source.ts';
