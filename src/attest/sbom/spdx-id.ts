import { createHash } from 'node:crypto';

/**
 * An SPDXID from free text: `SPDXRef-<prefix>-<text>` with characters SPDX does not allow
 * replaced by `-`. When anything was replaced, a short hash of the original is appended so
 * that `foo_bar` and `foo-bar` stay distinct.
 */
export function spdxIdFor(prefix: string, text: string): string {
  const clean = text.replace(/[^A-Za-z0-9.-]/g, '-');
  const suffix = clean === text ? '' : `-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
  return `SPDXRef-${prefix}-${clean}${suffix}`;
}
