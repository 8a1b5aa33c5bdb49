import { KilnError } from '../../errors/index.ts';

/** One member of a Unix `ar` archive (the container format of a .deb). */
export type ArMember = { readonly name: string; readonly content: Buffer };

const MAGIC = '!<arch>\n';
const HEADER = 60;

/**
 * Reads a common (System V / GNU) `ar` archive held in memory: the `!<arch>` magic, then
 * 60-byte headers each followed by the member's bytes padded to an even offset. Names lose
 * their space padding and GNU's trailing "/". Extended name tables and BSD long names are
 * refused: a .deb never needs them, and a reader that skips what it does not understand
 * could be made to pick a different member than dpkg would.
 */
export function readArArchive(bytes: Buffer, where: string): ArMember[] {
  const bad = (why: string): KilnError => new KilnError('DEB_INVALID', `${where}: ${why}`);
  if (bytes.byteLength < MAGIC.length || bytes.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
    throw bad('not an ar archive (expected the "!<arch>" magic a .deb starts with)');
  }
  const members: ArMember[] = [];
  let at = MAGIC.length;
  while (at < bytes.byteLength) {
    // a lone padding newline may end the archive
    if (at === bytes.byteLength - 1 && bytes[at] === 0x0a) break;
    if (at + HEADER > bytes.byteLength) throw bad(`truncated member header at offset ${at}`);
    const header = bytes.subarray(at, at + HEADER).toString('latin1');
    if (header.slice(58, 60) !== '`\n') throw bad(`member header at offset ${at} lacks its "\`\\n" terminator`);
    const rawName = header.slice(0, 16).replace(/ +$/, '');
    const sizeText = header.slice(48, 58).trim();
    if (!/^[0-9]{1,10}$/.test(sizeText)) throw bad(`member ${JSON.stringify(rawName)} at offset ${at}: size ${JSON.stringify(sizeText)} is not a number`);
    const size = Number(sizeText);
    if (rawName.startsWith('#1/') || rawName === '//' || /^\/[0-9]+$/.test(rawName)) {
      throw bad(`member at offset ${at} uses an extended name (${JSON.stringify(rawName)}); .deb members have short names`);
    }
    const name = rawName.endsWith('/') ? rawName.slice(0, -1) : rawName;
    const start = at + HEADER;
    if (start + size > bytes.byteLength) throw bad(`member ${JSON.stringify(name)} claims ${size} bytes but the archive ends ${bytes.byteLength - start} bytes after its header`);
    members.push({ name, content: bytes.subarray(start, start + size) });
    at = start + size + (size % 2);
  }
  return members;
}
