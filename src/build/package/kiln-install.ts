import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where kiln is installed: the repository root (src/build/package is three levels down). */
const ROOT = join(import.meta.dirname, '..', '..', '..');

/** kiln's own pipeline definitions (`pipelines/` at the root), last on the search path. */
export const BUILTIN_PIPELINE_DIR = join(ROOT, 'pipelines');

/** kiln's version from its package.json, for provenance and SBOM creators. */
export const KILN_VERSION: string = (() => {
  try {
    const v = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
})();
