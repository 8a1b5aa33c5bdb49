import { extract as tarExtract, pack as tarPack, type Header } from 'tar-stream';
import { KilnError, type KilnErrorCode } from '../errors/index.ts';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link';

/** One tar entry in memory. `mtime` is in seconds. */
export type TarEntry = {
  readonly name: string;
  readonly type: TarEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly mtime: number;
  readonly linkname?: string;
  readonly content?: Uint8Array;
  readonly pax?: Readonly<Record<string, string>>;
};

const END_OF_ARCHIVE = 1024;

/**
 * Packs entries in the given order. `endOfArchive: false` leaves out the two zero
 * blocks, as abuild's `abuild-tar --cut` does for the signature and control parts: apk
 * reads the three gzip streams as one tar, so an end marker there would end it early.
 */
export async function packTar(entries: readonly TarEntry[], options: { readonly endOfArchive: boolean }): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const header: Partial<Header> & { name: string } = {
      name: e.name,
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      uname: e.uname,
      gname: e.gname,
      mtime: new Date(e.mtime * 1000),
      size: e.content?.byteLength ?? 0,
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(e.pax !== undefined ? { pax: { ...e.pax } } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null): void => (err ? reject(err) : resolve());
      if (e.content) pack.entry(header, Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength), done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await collected;
  const all = Buffer.concat(chunks);
  return options.endOfArchive ? all : all.subarray(0, all.length - END_OF_ARCHIVE);
}

/** A tar entry of any type, as read: `other` (device, FIFO…) keeps tar-stream's name in `rawType`. */
export type RawTarEntry = Omit<TarEntry, 'type' | 'content'> & {
  readonly type: TarEntryType | 'other';
  readonly rawType: string;
  readonly content: Buffer;
};

/**
 * Reads every entry of a tar held in memory (with or without its end marker), whatever
 * its type; the caller judges which types it accepts. A malformed tar is `code`.
 */
export async function readTarEntries(data: Buffer, where: string, code: KilnErrorCode): Promise<RawTarEntry[]> {
  const extract = tarExtract();
  const out: RawTarEntry[] = [];
  const read = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const rawType = String(h.type ?? 'file');
      const type = rawType === 'contiguous-file' ? 'file' : isKnownType(rawType) ? rawType : 'other';
      out.push({
        name: h.name,
        type,
        rawType,
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        uname: h.uname ?? '',
        gname: h.gname ?? '',
        mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
        ...(h.linkname ? { linkname: h.linkname } : {}),
        // One piece is a view of `data` (never reused): no copy needed.
        content: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        ...(h.pax ? { pax: h.pax as Record<string, string> } : {}),
      });
    }
  })();
  extract.end(data);
  try {
    await read;
  } catch (e) {
    if (e instanceof KilnError) throw e;
    throw new KilnError(code, `${where}: not a valid tar: ${(e as Error).message}`, { cause: e });
  }
  return out;
}

/** Reads a package's tar: only files, directories, symlinks and hard links are allowed. */
export async function readTar(data: Buffer, where: string, code: 'PACKAGE_INVALID' | 'INDEX_INVALID' = 'PACKAGE_INVALID'): Promise<TarEntry[]> {
  const entries = await readTarEntries(data, where, code);
  return entries.map(({ rawType, type, ...e }) => {
    if (type === 'other') {
      throw new KilnError(code, `${where}: entry ${JSON.stringify(e.name)} has tar type ${rawType}; expected a file, directory, symlink or hard link`);
    }
    return { ...e, type };
  });
}

function isKnownType(t: string): t is TarEntryType {
  return t === 'file' || t === 'directory' || t === 'symlink' || t === 'link';
}
