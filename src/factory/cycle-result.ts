import type { Digest } from '../oci/index.ts';
import type { PlannedItem } from './plan-cycle.ts';

/** What one cycle did with one image version in one variant. */
export type CycleResult = {
  /** `nginx:1.27.4`, `app:8.17.2-dev`, or `nginx (line 1.27)` when no version could be resolved. */
  readonly image: string;
  readonly status: 'published' | 'skipped' | 'failed';
  /** "no package changed", "openssl 3.3.1-r0 → 3.3.2-r0", or the error. */
  readonly reason: string;
  readonly digest?: Digest;
};

/**
 * The result of a planned item that needs no build: skipped or failed as planned. A
 * build's result comes from the build itself (published with its digest, or failed).
 */
export function plannedResult(item: PlannedItem): CycleResult | undefined {
  const d = item.decision;
  switch (d.kind) {
    case 'skip':
      return { image: item.label, status: 'skipped', reason: d.reason };
    case 'failed':
      return { image: item.label, status: 'failed', reason: d.reason };
    case 'build':
      return undefined;
    default: {
      const never: never = d;
      return never;
    }
  }
}
