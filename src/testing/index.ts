export { freePort } from './free-port.ts';
export { startDockerRegistry, DOCKER_REGISTRY_BIN, type RunningRegistry, type DockerRegistryOptions } from './docker-registry.ts';
export { startProxy, type ProxyOptions, type RunningProxy } from './proxy.ts';
export { startPublicationHoldingProxy, type PublicationHoldingProxy } from './publication-holding-proxy.ts';
export { startTokenServer, type TokenServer, type TokenServerOptions } from './token-server.ts';
export {
  type TestBlob,
  type TestManifest,
  type PushTarget,
  randomBlob,
  blobOf,
  tarLayer,
  makeImage,
  makeIndex,
  makeReferrer,
  pushManifests,
  writeManifests,
} from './random-image.ts';
export { startKilnRegistry, kilnRegistryMissing } from './kiln-registry.ts';
export { tempDirs } from './temp-dirs.ts';
