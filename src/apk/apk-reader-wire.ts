import { isMarkedAsUntransferable } from 'node:worker_threads';
import type { AfterReadStep } from './apk-after-read.ts';
import type { ApkFile } from './apk-file.ts';
import { checkedSha1Of, rememberCheckedSha1, type DecodedApk, type ReadApkOptions } from './read-apk.ts';

/**
 * What crosses between the main thread and an APK reader thread (apk-reader-pool.ts,
 * apk-reader-thread.ts). Structured clone copies objects and loses classes, so file
 * contents travel as ranges of transferred ArrayBuffers (moved, not copied) and the
 * checked SHA-1s as one buffer; errors cross as the thread
 * pool carries them (src/threads).
 */
export type ApkReadRequest = {
  readonly path: string;
  readonly keys: ReadonlyArray<readonly [string, string]>;
  readonly allowUntrusted: boolean;
  readonly afterRead?: AfterReadStep;
};

/** A reader thread's answer: the package, and what its after-read step returned. */
export type ApkReadReply = { readonly apk: PackedApk; readonly after?: unknown };

type RegularFile = Extract<ApkFile, { kind: 'file' }>;

/** `length` bytes at `offset` of the packed package's `buffers[buffer]`. */
type ContentRange = { readonly buffer: number; readonly offset: number; readonly length: number };

/** A regular file's `sha1` is its index among the packed SHA-1s, or -1 if none was checked. */
type PackedFile = Exclude<ApkFile, { kind: 'file' }> | (Omit<RegularFile, 'content'> & { readonly content: ContentRange; readonly sha1: number });

export type PackedApk = Omit<DecodedApk, 'files'> & {
  readonly files: readonly PackedFile[];
  readonly buffers: readonly ArrayBuffer[];
  /** 20 bytes per checked SHA-1, in file order. */
  readonly sha1s: ArrayBuffer;
};

const SHA1_BYTES = 20;

export function readRequest(path: string, options: ReadApkOptions, afterRead?: AfterReadStep): ApkReadRequest {
  return { path, keys: [...options.keys], allowUntrusted: options.allowUntrusted === true, ...(afterRead !== undefined && { afterRead }) };
}

export function readOptionsOf(request: ApkReadRequest): ReadApkOptions {
  return { keys: new Map(request.keys), allowUntrusted: request.allowUntrusted };
}

/**
 * A decoded package ready to post, with the buffers to transfer. The contents tar-stream
 * returns are views of the inflated data stream, so that one buffer is moved as it is;
 * any content held elsewhere (split across tar-stream chunks, or in Node's shared pool of
 * small buffers, which must not be transferred) is copied into one extra buffer.
 */
export function packApk(apk: DecodedApk): { apk: PackedApk; transfer: ArrayBuffer[] } {
  const regular = apk.files.filter((f): f is RegularFile => f.kind === 'file');
  const main = mainBuffer(regular);
  let spillBytes = 0;
  for (const f of regular) if (f.content.buffer !== main) spillBytes += f.content.byteLength;
  const spill = new Uint8Array(spillBytes);
  const buffers = main !== undefined ? [main, spill.buffer] : [spill.buffer];
  const sha1s = new Uint8Array(regular.length * SHA1_BYTES);
  let spilled = 0;
  let checked = 0;
  const files = apk.files.map((f): PackedFile => {
    if (f.kind !== 'file') return f;
    const { content, ...rest } = f;
    let at: ContentRange;
    if (content.buffer === main) at = { buffer: 0, offset: content.byteOffset, length: content.byteLength };
    else {
      spill.set(content, spilled);
      at = { buffer: buffers.length - 1, offset: spilled, length: content.byteLength };
      spilled += content.byteLength;
    }
    const sha1 = checkedSha1Of(f);
    if (sha1 === undefined) return { ...rest, content: at, sha1: -1 };
    sha1s.set(sha1, checked * SHA1_BYTES);
    return { ...rest, content: at, sha1: checked++ };
  });
  const { files: _files, ...meta } = apk;
  return { apk: { ...meta, files, buffers, sha1s: sha1s.buffer }, transfer: [...buffers, sha1s.buffer] };
}

/** The buffer holding most content bytes, if it may be transferred and is mostly content (not, say, a small slice of something larger). */
function mainBuffer(files: readonly RegularFile[]): ArrayBuffer | undefined {
  const bytesIn = new Map<ArrayBufferLike, number>();
  for (const f of files) bytesIn.set(f.content.buffer, (bytesIn.get(f.content.buffer) ?? 0) + f.content.byteLength);
  let best: ArrayBufferLike | undefined;
  for (const [b, n] of bytesIn) if (best === undefined || n > (bytesIn.get(best) ?? 0)) best = b;
  if (!(best instanceof ArrayBuffer) || isMarkedAsUntransferable(best)) return undefined;
  return (bytesIn.get(best) ?? 0) * 2 >= best.byteLength ? best : undefined;
}

/** The main thread's DecodedApk: contents are Buffer views of the transferred buffers; checkedSha1Of answers for every file the reader checked. */
export function unpackApk(packed: PackedApk): DecodedApk {
  const { buffers, sha1s, files: packedFiles, ...meta } = packed;
  const views = buffers.map((b) => Buffer.from(b));
  const files = packedFiles.map((f): ApkFile => {
    if (f.kind !== 'file') return f;
    const { content: at, sha1, ...rest } = f;
    const file: RegularFile = { ...rest, content: (views[at.buffer] ?? Buffer.alloc(0)).subarray(at.offset, at.offset + at.length) };
    if (sha1 >= 0) rememberCheckedSha1(file, Buffer.from(sha1s, sha1 * SHA1_BYTES, SHA1_BYTES));
    return file;
  });
  return { ...meta, files };
}
