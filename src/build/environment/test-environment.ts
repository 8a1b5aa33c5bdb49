import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianProvider } from './debian-provider.ts';
import { resolveDebianArchive } from './debian-archive.ts';
import { ensureEnvironment, type BuildEnvironment } from './ensure-environment.ts';

/** The one environment every sandbox test shares: a C toolchain and nothing else. */
export const TEST_ENVIRONMENT_PACKAGES: readonly string[] = ['build-essential'];

/**
 * Outside the repository and stable across runs (and across fresh clones on the same machine),
 * so only the first run on a machine pays for mmdebstrap. $KILN_ENV_CACHE overrides it.
 */
export function testEnvironmentCacheDir(): string {
  const fromEnv = process.env['KILN_ENV_CACHE'];
  if (fromEnv) return fromEnv;
  return process.getuid?.() === 0 ? '/var/cache/kiln-test/environments' : join(tmpdir(), 'kiln-test-environments');
}

let shared: Promise<BuildEnvironment> | undefined;

/** The shared test environment, built on first use (20–60 s) and cached afterwards. */
export function testBuildEnvironment(log?: (line: string) => void): Promise<BuildEnvironment> {
  shared ??= resolveDebianArchive().then((archive) =>
    ensureEnvironment({
      cacheDir: testEnvironmentCacheDir(),
      provider: debianProvider(archive),
      packages: TEST_ENVIRONMENT_PACKAGES,
      ...(log ? { log } : {}),
    }),
  );
  return shared;
}
