import type { ImageInputs, ResolvedPackage } from './input-fingerprint.ts';

const MAX_LISTED = 6;

/**
 * What changed between two sets of inputs, for the cycle's reason and the changelog:
 * `openssl 3.3.1-r0 → 3.3.2-r0, zlib 1.3.1-r0 rebuilt, ca-certificates 20250101-r0 added,
 * image config changed`. Package changes come first, sorted by name; a multi-arch change
 * that is the same on every architecture is named once.
 */
export function describeInputChanges(before: ImageInputs, after: ImageInputs): string {
  const key = (p: ResolvedPackage): string => `${p.arch ?? ''}\0${p.name}`;
  const old = new Map(before.packages.map((p) => [key(p), p]));
  const now = new Map(after.packages.map((p) => [key(p), p]));
  const changes = new Map<string, string>();
  const note = (name: string, text: string): void => {
    if (!changes.has(text)) changes.set(text, name);
  };
  for (const [k, p] of now) {
    const o = old.get(k);
    if (o === undefined) note(p.name, `${p.name} ${p.version} added`);
    else if (o.version !== p.version) note(p.name, `${p.name} ${o.version} → ${p.version}`);
    else if (o.checksum !== p.checksum) note(p.name, `${p.name} ${p.version} rebuilt`);
  }
  for (const [k, o] of old) if (!now.has(k)) note(o.name, `${o.name} ${o.version} removed`);
  const parts = [...changes].sort(([ta, na], [tb, nb]) => (na < nb ? -1 : na > nb ? 1 : ta < tb ? -1 : ta > tb ? 1 : 0)).map(([t]) => t);
  if (before.configDigest !== after.configDigest) parts.push('image config changed');
  if (before.assemblerVersion !== after.assemblerVersion) parts.push(`assembler ${before.assemblerVersion} → ${after.assemblerVersion}`);
  if (before.variant !== after.variant) parts.push(`variant ${before.variant} → ${after.variant}`);
  if (parts.length === 0) return 'no package changed';
  const shown = parts.slice(0, MAX_LISTED);
  if (parts.length > MAX_LISTED) shown.push(`and ${parts.length - MAX_LISTED} more`);
  return shown.join(', ');
}
