/**
 * src/attest: the evidence attached to every kiln image.
 *
 * - `sbom/`: SPDX 2.3 and CycloneDX 1.6 documents from `ImageFacts` (deterministic: the
 *   namespace/serial number come from the image digest, times from SOURCE_DATE_EPOCH),
 *   per-package SPDX merging, the apk installed-database parser and the completeness check.
 * - `sign/`: ECDSA P-256 image signing keys (PKCS#8/SPKI PEM), DSSE envelopes, cosign's
 *   simple-signing payload and Sigstore bundles v0.3 (public-key hint, no tlog).
 * - `provenance/`: in-toto Statement v1 and the SLSA v1 provenance predicate. kiln builds
 *   provenance outside the build sandbox; these modules only build documents.
 * - `attach/`: where evidence is written (registry repository or OCI layout) and how:
 *   signatures under cosign's `sha256-<hex>.sig` and as a bundle referrer, attestations as
 *   bundle referrers (artifactType application/vnd.dev.sigstore.bundle.v0.3+json, annotation
 *   dev.sigstore.bundle.predicateType) and under `sha256-<hex>.att`, SBOMs also as plain
 *   referrers (artifactType application/spdx+json, application/vnd.cyclonedx+json).
 *   `attachEvidence` does all of it for the factory.
 * - `verify/`: `verifyImage` (every check with its reason) and `readAttachedSbom`.
 */
export { type ImageFacts, type PackageFacts, type PackageSource, ImageFactsSchema, parseImageFacts } from './image-facts.ts';
export { packageFactsOf, type PackageFactsOptions } from './package-facts-of.ts';
export * from './sbom/index.ts';
export * from './sign/index.ts';
export * from './provenance/index.ts';
export * from './attach/index.ts';
export * from './verify/index.ts';
