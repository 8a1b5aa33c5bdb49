export {
  generateImageSigningKey,
  parseSigningKey,
  parseVerificationKey,
  loadSigningKey,
  loadVerificationKey,
  keyIdOf,
  type ImageSigningKey,
  type ImageVerificationKey,
  type GeneratedImageSigningKey,
} from './signing-key.ts';
export {
  preAuthEncoding,
  signEnvelope,
  parseEnvelope,
  envelopeSignatureValid,
  DsseEnvelopeSchema,
  IN_TOTO_PAYLOAD_TYPE,
  DSSE_ENVELOPE_MEDIA_TYPE,
  type DsseEnvelope,
} from './dsse.ts';
export {
  simpleSigningPayload,
  parseSimpleSigningPayload,
  SIMPLE_SIGNING_MEDIA_TYPE,
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  type SimpleSigningPayload,
} from './simple-signing.ts';
export { sigstoreBundleBytes, parseSigstoreBundle, SIGSTORE_BUNDLE_MEDIA_TYPE, type ParsedBundle } from './sigstore-bundle.ts';
export { writeImageSigningKeyFiles, type ImageSigningKeyFiles } from './signing-key-files.ts';
