import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsRegistryStorage } from './fs-storage.ts';
import { registryStorageContract } from './storage.contract.ts';

registryStorageContract('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-storage-'));
  return { storage: new FsRegistryStorage(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

registryStorageContract('filesystem without fsync', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-storage-'));
  return { storage: new FsRegistryStorage(dir, { durable: false }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
