export { RegistryClient, type PutManifestOptions } from './client.ts';
export { type RegistryClientOptions } from './transport.ts';
export { type BlobStat } from './blobs.ts';
export { type BlobBody, type PushBlobOptions, type PushBlobResult, chunksOf } from './upload.ts';
export { type ManifestData, type ManifestStat, type PutManifestResult, MANIFEST_ACCEPT } from './manifests.ts';
export { type ListOptions, nextLink } from './listing.ts';
export { referrersFallbackTag, referrerDescriptor } from './referrers.ts';
export { RegistryError, isRegistryError, type Operation } from './registry-error.ts';
export { type Challenge, parseChallenges, Authenticator, repositoryScope } from './auth.ts';
export {
  type Credentials,
  type CredentialStore,
  type CredentialSearch,
  parseDockerConfig,
  loadCredentials,
  credentialsFor,
  credentialFileCandidates,
  normalizeRegistryKey,
} from './docker-config.ts';
export { type RetryPolicy, DEFAULT_RETRY, parseRetryAfter, retryDelay } from './retry.ts';
