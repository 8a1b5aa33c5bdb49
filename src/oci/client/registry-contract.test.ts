import { kilnRegistryMissing, startDockerRegistry, startKilnRegistry } from '../../testing/index.ts';
import { registryContract } from './registry.contract.ts';

registryContract('docker-registry', () => startDockerRegistry());
registryContract('kiln', startKilnRegistry, { ...(kilnRegistryMissing() !== undefined && { skip: kilnRegistryMissing() }) });
