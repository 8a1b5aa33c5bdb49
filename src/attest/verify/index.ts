export { verifyImage, verifyStoredImage, assertVerified, type VerifyOptions, type VerifyResult } from './verify-image.ts';
export { type VerifyCheck, type CheckStatus } from './verify-check.ts';
export { checkEnvelope, type EnvelopeOutcome } from './envelope-check.ts';
export { bundleEnvelopes, cosignEnvelopes, checkCosignSignature, type FoundEnvelope } from './read-evidence.ts';
export { readImageFile } from './read-image-file.ts';
export { readAttachedSbom, type SbomFormat } from './read-attached-sbom.ts';
