import { join } from 'node:path';
import { hostArch } from '../../assemble/index.ts';
import { ensureSigningKey, type LoadedSigningKey } from '../../build/index.ts';
import type { KilnConfig, PackagesConfig } from '../kiln-config.ts';
import type { PackageRepository } from './package-stage-result.ts';
import { publicKeyFileOf } from './public-key-file.ts';

/**
 * Where the package stage's repository is and which key verifies it, without building
 * anything: for a run whose stage already ran this cycle (a queue's image jobs after
 * their cycle job). The key is `keys.apk`, else the state's, generated on first use.
 */
export async function resolvePackageRepository(
  config: KilnConfig & { readonly packages: PackagesConfig },
  arch: string = hostArch() ?? 'x86_64',
): Promise<PackageRepository & { readonly key: LoadedSigningKey }> {
  const key = await ensureSigningKey(config.keys.apk, config.stateDir);
  const dir = config.packages.repository ?? join(config.stateDir, 'repo');
  return { dir, arch, keyFile: await publicKeyFileOf(key, config.stateDir), key };
}
