import type { ApkFile } from '../../apk/index.ts';

const MAX_LICENSE = 200;

/**
 * The license of a package from its `usr/share/doc/<pkg>/copyright` when that file is
 * machine-readable (DEP-5): the short names of its `License:` fields in order of first
 * appearance (the `Files: *` paragraph first), joined with " AND " — every file of the
 * package is under one of them. Debian's short names (`GPL-2+`) are kept as written, not
 * translated to SPDX. Anything else (free-form copyright, no file, a symlinked doc
 * directory) is `custom`, which says "read the copyright file shipped in the package".
 */
export function debLicenseOf(pkg: string, files: readonly ApkFile[]): string {
  const file = files.find((f) => f.path === `usr/share/doc/${pkg}/copyright`);
  if (file?.kind !== 'file') return 'custom';
  const text = Buffer.from(file.content).toString('utf8');
  const paragraphs = text.split(/\n[ \t]*\n/).map(fieldsOf);
  const header = paragraphs[0];
  if (!/copyright-format\/1\.0/.test(header?.get('format') ?? '')) return 'custom';
  const ordered = [...paragraphs.filter((p) => p.get('files')?.trim() === '*'), ...paragraphs.filter((p) => p.has('files') && p.get('files')?.trim() !== '*')];
  const names: string[] = [];
  for (const p of ordered) {
    const name = (p.get('license') ?? '').split('\n')[0]?.trim() ?? '';
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  const joined = names.map((n) => (/\s/.test(n) ? `(${n})` : n)).join(' AND ');
  if (joined === '') return 'custom';
  return joined.length > MAX_LICENSE ? (names[0] ?? 'custom') : joined;
}

function fieldsOf(paragraph: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  for (const line of paragraph.split('\n')) {
    if (line.startsWith('#')) continue;
    if (/^[ \t]/.test(line)) {
      if (last !== undefined) fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}
