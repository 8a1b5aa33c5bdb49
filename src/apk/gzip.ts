import { crc32, gzipSync, inflateRawSync } from 'node:zlib';
import { KilnError } from '../errors/index.ts';

/** One gzip member of a file: its compressed bytes exactly as stored, and its content. */
export type GzipMember = { readonly compressed: Buffer; readonly content: Buffer };

const OS_UNIX = 3;

/**
 * gzip at level 9 (as abuild's `gzip -9`) with a header that never varies: no file
 * name, mtime 0, OS byte fixed to Unix (zlib would write the build platform's code).
 * Byte-identical output also needs the same zlib: Node bundles its own, so the result
 * is stable for one Node version on every machine.
 */
export function gzipDeterministic(data: Uint8Array): Buffer {
  const out = gzipSync(data, { level: 9, memLevel: 8, windowBits: 15, strategy: 0 });
  out[9] = OS_UNIX;
  return out;
}

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** Which file kind is at fault decides the error code. */
export type GzipErrorCode = 'PACKAGE_INVALID' | 'INDEX_INVALID';

function bad(where: string, why: string, code: GzipErrorCode): KilnError {
  return new KilnError(code, `${where}: ${why}`);
}

/**
 * Inflates the one gzip member that starts at `offset`, checking its CRC-32 and length.
 * Returns it with the offset just past it. APK files are concatenated members whose
 * boundaries matter: signatures and checksums cover the compressed bytes of one member.
 */
export function inflateMemberAt(data: Uint8Array, offset: number, where: string, code: GzipErrorCode = 'PACKAGE_INVALID'): { member: GzipMember; end: number } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const start = offset;
  let pos = offset;
  if (buf.length - pos < 18 || buf[pos] !== 0x1f || buf[pos + 1] !== 0x8b || buf[pos + 2] !== 8) {
    throw bad(where, `expected a gzip stream at byte ${pos}, found ${buf.subarray(pos, pos + 3).toString('hex') || 'the end'}`, code);
  }
  const flags = buf[pos + 3] ?? 0;
  pos += 10;
  if (flags & FEXTRA) pos += 2 + buf.readUInt16LE(pos);
  if (flags & FNAME) pos = buf.indexOf(0, pos) + 1;
  if (flags & FCOMMENT) pos = buf.indexOf(0, pos) + 1;
  if (flags & FHCRC) pos += 2;
  if (pos <= start || pos > buf.length) throw bad(where, `truncated gzip header at byte ${start}`, code);
  let content: Buffer;
  let consumed: number;
  try {
    const r = inflateRawSync(buf.subarray(pos), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    content = r.buffer;
    consumed = r.engine.bytesWritten;
  } catch (e) {
    throw new KilnError(code, `${where}: gzip stream at byte ${start} does not inflate: ${(e as Error).message}`, { cause: e });
  }
  pos += consumed;
  if (pos + 8 > buf.length) throw bad(where, `gzip stream at byte ${start} is truncated (no CRC-32 and length trailer)`, code);
  const crc = buf.readUInt32LE(pos);
  const size = buf.readUInt32LE(pos + 4);
  pos += 8;
  if (crc !== crc32(content) || size !== (content.length >>> 0)) {
    throw bad(where, `gzip stream at byte ${start}: CRC-32 or length does not match its content`, code);
  }
  return { member: { compressed: buf.subarray(start, pos), content }, end: pos };
}

/** Inflates a buffer that must hold exactly one gzip member. */
export function inflateSingleMember(data: Uint8Array, where: string, code: GzipErrorCode = 'PACKAGE_INVALID'): GzipMember {
  const { member, end } = inflateMemberAt(data, 0, where, code);
  if (end !== data.byteLength) throw bad(where, `${data.byteLength - end} bytes after the last gzip stream`, code);
  return member;
}
