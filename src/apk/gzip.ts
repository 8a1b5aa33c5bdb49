import { crc32, gzipSync, inflateRaw, inflateRawSync } from 'node:zlib';
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
export function inflateMemberAt(
  data: Uint8Array,
  offset: number,
  where: string,
  code: GzipErrorCode = 'PACKAGE_INVALID',
  sizeHint?: number,
): { member: GzipMember; end: number } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const pos = deflateStart(buf, offset, where, code);
  let r: Inflated;
  try {
    r = inflateRawSync(buf.subarray(pos), inflateOptions(sizeHint)) as unknown as Inflated;
  } catch (e) {
    throw notInflating(e, offset, where, code);
  }
  return checkTrailer(buf, offset, pos, r, where, code);
}

/** {@link inflateSingleMember} on libuv's thread pool, so that several packages inflate at once. */
export async function inflateSingleMemberAsync(data: Uint8Array, where: string, code: GzipErrorCode = 'PACKAGE_INVALID'): Promise<GzipMember> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const pos = deflateStart(buf, 0, where, code);
  let r: Inflated;
  try {
    r = await new Promise<Inflated>((resolve, reject) =>
      inflateRaw(buf.subarray(pos), inflateOptions(sizeHintOf(buf)), (err, out) => (err ? reject(err) : resolve(out as unknown as Inflated))),
    );
  } catch (e) {
    throw notInflating(e, 0, where, code);
  }
  const { member, end } = checkTrailer(buf, 0, pos, r, where, code);
  if (end !== buf.byteLength) throw bad(where, `${buf.byteLength - end} bytes after the last gzip stream`, code);
  return member;
}

type Inflated = { buffer: Buffer; engine: { bytesWritten: number } };

/** Where the deflate data of the member at `offset` starts, past its header. */
function deflateStart(buf: Buffer, offset: number, where: string, code: GzipErrorCode): number {
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
  if (pos <= offset || pos > buf.length) throw bad(where, `truncated gzip header at byte ${offset}`, code);
  return pos;
}

function inflateOptions(sizeHint: number | undefined): { info: true; chunkSize?: number } {
  // With the size known, one output buffer (one byte over, so zlib ends with room to
  // spare and Node allocates no second one) instead of 16 KiB pieces joined by a copy.
  return { info: true, ...(sizeHint !== undefined && { chunkSize: Math.min(Math.max(sizeHint + 1, 64), MAX_CHUNK) }) };
}

function notInflating(e: unknown, start: number, where: string, code: GzipErrorCode): KilnError {
  return new KilnError(code, `${where}: gzip stream at byte ${start} does not inflate: ${(e as Error).message}`, { cause: e });
}

function checkTrailer(buf: Buffer, start: number, deflateAt: number, r: Inflated, where: string, code: GzipErrorCode): { member: GzipMember; end: number } {
  const content = r.buffer;
  let pos = deflateAt + r.engine.bytesWritten;
  if (pos + 8 > buf.length) throw bad(where, `gzip stream at byte ${start} is truncated (no CRC-32 and length trailer)`, code);
  const crc = buf.readUInt32LE(pos);
  const size = buf.readUInt32LE(pos + 4);
  pos += 8;
  if (crc !== crc32(content) || size !== (content.length >>> 0)) {
    throw bad(where, `gzip stream at byte ${start}: CRC-32 or length does not match its content`, code);
  }
  return { member: { compressed: buf.subarray(start, pos), content }, end: pos };
}

/** The trailer's ISIZE (length mod 2^32) of a buffer holding one member; a wrong one costs only speed. */
function sizeHintOf(buf: Buffer): number | undefined {
  return buf.byteLength >= 18 ? buf.readUInt32LE(buf.byteLength - 4) : undefined;
}

/** Largest single output buffer a size hint may ask for; more than that comes in pieces. */
const MAX_CHUNK = 64 * 1024 * 1024;

/** Inflates a buffer that must hold exactly one gzip member. */
export function inflateSingleMember(data: Uint8Array, where: string, code: GzipErrorCode = 'PACKAGE_INVALID'): GzipMember {
  const { member, end } = inflateMemberAt(data, 0, where, code, sizeHintOf(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  if (end !== data.byteLength) throw bad(where, `${data.byteLength - end} bytes after the last gzip stream`, code);
  return member;
}
