/**
 * What dependency detection needs from an ELF object, read straight from its bytes:
 * no native tools, no dependency on the host's binutils or on the file's architecture.
 */
export type ElfInfo = {
  readonly bits: 32 | 64;
  readonly endian: 'little' | 'big';
  /** e_type: 2 ET_EXEC, 3 ET_DYN, …. */
  readonly type: number;
  /** e_machine: 62 x86-64, 183 AArch64, …. */
  readonly machine: number;
  /** PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; undefined for libraries and static programs. */
  readonly interpreter?: string;
  /** DT_NEEDED entries, in file order. */
  readonly needed: readonly string[];
  readonly soname?: string;
};

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_SONAME = 14n;

/** Caps that keep a hostile file from making the reader loop for long. */
const MAX_PROGRAM_HEADERS = 4096;
const MAX_DYNAMIC_ENTRIES = 65536;
const MAX_STRING = 4096;

export function isElf(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

type Segment = { readonly type: number; readonly offset: number; readonly vaddr: bigint; readonly filesz: number };

/**
 * Parses the ELF header, the program headers, PT_INTERP and the dynamic section (found
 * through PT_DYNAMIC, its string table located through DT_STRTAB mapped by the PT_LOAD
 * segments, as the dynamic loader finds it; section headers may be stripped). Returns
 * undefined for anything that is not a well-formed ELF32/ELF64 object in either byte
 * order: a truncated or hostile file is "not ELF", never an exception.
 */
export function readElfInfo(bytes: Uint8Array): ElfInfo | undefined {
  if (!isElf(bytes) || bytes.byteLength < 52) return undefined;
  const cls = bytes[4];
  const data = bytes[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) return undefined;
  const bits = cls === 2 ? 64 : 32;
  const little = data === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.byteLength;
  const fits = (offset: number, length: number): boolean => Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= size;
  const u16 = (o: number): number => view.getUint16(o, little);
  const u32 = (o: number): number => view.getUint32(o, little);
  const u64 = (o: number): bigint => view.getBigUint64(o, little);
  const word = (o: number): bigint => (bits === 64 ? u64(o) : BigInt(u32(o)));
  const toNumber = (v: bigint): number => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1);
  if (bits === 64 && size < 64) return undefined;

  const type = u16(16);
  const machine = u16(18);
  const phoff = toNumber(word(bits === 64 ? 32 : 28));
  const phentsize = u16(bits === 64 ? 54 : 42);
  const phnum = u16(bits === 64 ? 56 : 44);
  const minEntry = bits === 64 ? 56 : 32;
  if (phnum > MAX_PROGRAM_HEADERS || (phnum > 0 && (phentsize < minEntry || !fits(phoff, phentsize * phnum)))) return undefined;

  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const segment: Segment =
      bits === 64
        ? { type: u32(at), offset: toNumber(u64(at + 8)), vaddr: u64(at + 16), filesz: toNumber(u64(at + 32)) }
        : { type: u32(at), offset: u32(at + 4), vaddr: BigInt(u32(at + 8)), filesz: u32(at + 16) };
    segments.push(segment);
  }

  let interpreter: string | undefined;
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp && fits(interp.offset, interp.filesz)) {
    interpreter = cString(bytes, interp.offset, interp.offset + Math.min(interp.filesz, MAX_STRING));
  }

  const needed: string[] = [];
  let soname: string | undefined;
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (dynamic && fits(dynamic.offset, dynamic.filesz)) {
    const entrySize = bits === 64 ? 16 : 8;
    const entries: [bigint, bigint][] = [];
    const count = Math.min(Math.floor(dynamic.filesz / entrySize), MAX_DYNAMIC_ENTRIES);
    for (let i = 0; i < count; i++) {
      const at = dynamic.offset + i * entrySize;
      const tag = bits === 64 ? view.getBigInt64(at, little) : BigInt(view.getInt32(at, little));
      if (tag === DT_NULL) break;
      entries.push([tag, word(at + entrySize / 2)]);
    }
    const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
    const strsz = entries.find(([t]) => t === DT_STRSZ)?.[1];
    const strtab = strtabAddr === undefined ? undefined : fileOffsetOf(strtabAddr, segments);
    if (strtab !== undefined) {
      const limit = strsz === undefined ? size : Math.min(size, strtab + toNumber(strsz));
      const str = (v: bigint): string | undefined => {
        const start = strtab + toNumber(v);
        if (v < 0n || !fits(start, 0) || start >= limit) return undefined;
        return cString(bytes, start, Math.min(limit, start + MAX_STRING));
      };
      for (const [tag, value] of entries) {
        if (tag === DT_NEEDED) {
          const name = str(value);
          if (name) needed.push(name);
        } else if (tag === DT_SONAME) {
          soname = str(value) || undefined;
        }
      }
    }
  }
  return {
    bits,
    endian: little ? 'little' : 'big',
    type,
    machine,
    ...(interpreter ? { interpreter } : {}),
    needed,
    ...(soname !== undefined ? { soname } : {}),
  };
}

/** Maps a virtual address to a file offset through the PT_LOAD segment that holds it. */
function fileOffsetOf(addr: bigint, segments: readonly Segment[]): number | undefined {
  for (const s of segments) {
    if (s.type !== PT_LOAD || s.offset < 0 || s.filesz < 0) continue;
    if (addr >= s.vaddr && addr < s.vaddr + BigInt(s.filesz)) return s.offset + Number(addr - s.vaddr);
  }
  return undefined;
}

/** The NUL-terminated string at `start` (without a terminator before `end`, the text up to it). */
function cString(bytes: Uint8Array, start: number, end: number): string {
  let stop = start;
  while (stop < end && bytes[stop] !== 0) stop++;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, stop - start).toString('latin1');
}
