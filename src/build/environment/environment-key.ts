import { createHash } from 'node:crypto';
import type { EnvironmentProvider } from './environment-provider.ts';

/**
 * The cache key of an environment: sha256 over the provider's kind and identity and the
 * normalised package list, as JSON with sorted keys so that it never depends on the order in
 * which anything was written.
 */
export function environmentKey(provider: Pick<EnvironmentProvider, 'kind' | 'identity'>, packages: readonly string[]): string {
  const identity = Object.fromEntries(Object.entries(provider.identity).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const text = JSON.stringify({ identity, kind: provider.kind, packages: [...packages] });
  return createHash('sha256').update(text).digest('hex');
}
