import { KilnError } from '../../errors/index.ts';

/**
 * Tar headers written by hand rather than with tar-stream: every byte of a layer must be
 * a function of the entry alone (no uname/gname lookup, no PAX atime/ctime, fixed PAX
 * header names, one fixed rule for when PAX is used), and building 512-byte blocks
 * directly into the output buffer avoids a stream per entry on rootfs trees with tens
 * of thousands of files. Format: POSIX ustar, with a PAX extended header (typeflag `x`)
 * before an entry only when ustar cannot hold it: a name or link target that is too
 * long or not ASCII, an id above 0o7777777, a size of 8 GiB or more, or xattrs.
 */

export const BLOCK = 512;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'directory';

export type TarHeader = {
  /** Relative path without a trailing slash; directories get one added. */
  readonly name: string;
  readonly type: TarEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkname?: string;
  readonly xattrs?: Readonly<Record<string, Uint8Array>>;
};

const TYPEFLAG: Readonly<Record<TarEntryType, number>> = { file: 0x30, hardlink: 0x31, symlink: 0x32, directory: 0x35 };
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/** The header block(s) for one entry: a PAX header and its records when needed, then the ustar header. */
export function encodeTarHeader(h: TarHeader): Buffer {
  const name = h.type === 'directory' ? `${h.name}/` : h.name;
  const records: [string, Uint8Array][] = [];
  const split = splitUstarName(name);
  if (split === undefined) records.push(['path', Buffer.from(name, 'utf8')]);
  const link = h.linkname ?? '';
  const linkFits = isAscii(link) && link.length <= 100;
  if (!linkFits) records.push(['linkpath', Buffer.from(link, 'utf8')]);
  if (h.uid > MAX_OCTAL_7) records.push(['uid', Buffer.from(String(h.uid))]);
  if (h.gid > MAX_OCTAL_7) records.push(['gid', Buffer.from(String(h.gid))]);
  if (h.size > MAX_OCTAL_11) records.push(['size', Buffer.from(String(h.size))]);
  if (h.mtime > MAX_OCTAL_11 || h.mtime < 0) throw new KilnError('INPUT_INVALID', `tar mtime ${h.mtime} is out of range`);
  for (const key of Object.keys(h.xattrs ?? {}).sort()) {
    const value = h.xattrs?.[key];
    if (value !== undefined) records.push([`SCHILY.xattr.${key}`, value]);
  }

  const main = Buffer.alloc(BLOCK);
  const fallback = split ?? { prefix: '', name: asciiFallback(name, 100) };
  writeText(main, 0, 100, fallback.name);
  writeOctal(main, 100, 8, h.mode);
  writeOctal(main, 108, 8, h.uid > MAX_OCTAL_7 ? 0 : h.uid);
  writeOctal(main, 116, 8, h.gid > MAX_OCTAL_7 ? 0 : h.gid);
  writeOctal(main, 124, 12, h.size > MAX_OCTAL_11 ? 0 : h.size);
  writeOctal(main, 136, 12, h.mtime);
  main[156] = TYPEFLAG[h.type];
  writeText(main, 157, 100, linkFits ? link : asciiFallback(link, 100));
  main.write('ustar\x0000', 257, 'latin1'); // magic "ustar\0", version "00"
  // uname and gname (265, 297) stay empty: names would leak the build host's databases.
  writeOctal(main, 329, 8, 0); // devmajor
  writeOctal(main, 337, 8, 0); // devminor
  writeText(main, 345, 155, fallback.prefix);
  writeChecksum(main);
  if (records.length === 0) return main;

  const body = encodePaxRecords(records);
  const pax = Buffer.alloc(BLOCK);
  writeText(pax, 0, 100, asciiFallback(`PaxHeader/${fallback.name}`, 100));
  writeOctal(pax, 100, 8, 0o644);
  writeOctal(pax, 108, 8, 0);
  writeOctal(pax, 116, 8, 0);
  writeOctal(pax, 124, 12, body.length);
  writeOctal(pax, 136, 12, h.mtime);
  pax[156] = 0x78; // 'x'
  pax.write('ustar\x0000', 257, 'latin1');
  writeOctal(pax, 329, 8, 0);
  writeOctal(pax, 337, 8, 0);
  writeChecksum(pax);
  return Buffer.concat([pax, body, Buffer.alloc(padding(body.length)), main]);
}

/** Zero bytes that round `size` up to a whole block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** `LEN key=value\n`, where LEN counts the whole record including its own digits. */
function encodePaxRecords(records: readonly (readonly [string, Uint8Array])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of records) {
    const rest = Buffer.byteLength(key) + value.length + 3; // space, '=', newline
    const digits = String(rest).length;
    let len = rest + digits;
    if (String(len).length !== digits) len = rest + String(len).length;
    parts.push(Buffer.from(`${len} ${key}=`, 'utf8'), Buffer.from(value), Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** ustar holds a name of up to 100 bytes, or 155 + '/' + 100 split at a slash; ASCII only here. */
function splitUstarName(name: string): { prefix: string; name: string } | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return { prefix: '', name };
  // A trailing slash (directory) must stay in the name part, so search before it.
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/' || i === name.length - 1) continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return { prefix, name: rest };
    if (rest.length > 100) return undefined;
  }
  return undefined;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

// What an old reader that ignores PAX sees: the name cut to fit, non-ASCII replaced.
function asciiFallback(s: string, max: number): string {
  return s.replace(/[^\p{ASCII}]|\0/gu, '_').slice(0, max);
}

function writeText(block: Buffer, offset: number, length: number, text: string): void {
  block.write(text, offset, length, 'latin1');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

function writeChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i] ?? 0;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}
