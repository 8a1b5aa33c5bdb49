import { checkedSha1Of, type AfterRead, type ApkFile, type DecodedApk } from '../../apk/index.ts';
import { movableBytes } from '../../threads/index.ts';
import { findRun, keepRun } from './deflate-run-cache.ts';
import { compressStandalone, RUN_FORMAT, type CompressedRun } from '../layer/standalone-run.ts';
import { STANDALONE_MIN } from '../layer/tar-segments.ts';

/**
 * The image builder's after-read step (src/apk's AfterReadStep): on the APK reader
 * thread that just read and verified a package, while its contents are in that
 * thread's memory, each file large enough to be a standalone segment of the layer gets
 * its compressed run: from the layer cache when it holds a run that decompresses to
 * exactly this content, else compressed here and kept there. The layer then only
 * stitches runs together; the package's bytes never travel to another thread to be
 * compressed, and a rebuild compresses only files it has not seen.
 */
export type PrepareRunsOptions = { readonly level: number; readonly cacheDir?: string };

/** A run as it crosses back: `length` bytes at `offset` of the reply's `buffers[buffer]`. */
type PackedRun = { readonly file: number; readonly buffer: number; readonly offset: number; readonly length: number; readonly crc: number };

export type PreparedRuns = {
  readonly runs: readonly PackedRun[];
  readonly buffers: readonly ArrayBuffer[];
  readonly level: number;
  readonly format: string;
  readonly stats: { readonly hits: number; readonly misses: number; readonly refused: number; readonly kept: number; readonly keepFailures: number; readonly keptBytes: number };
};

export const afterRead: AfterRead = (apk, options) => {
  const { level, cacheDir } = options as PrepareRunsOptions;
  const stats = { hits: 0, misses: 0, refused: 0, kept: 0, keepFailures: 0, keptBytes: 0 };
  const runs: PackedRun[] = [];
  const buffers: ArrayBuffer[] = [];
  const place = new Map<ArrayBufferLike, number>();
  apk.files.forEach((f, index) => {
    if (f.kind !== 'file' || f.content.length < STANDALONE_MIN) return;
    const run = runOf(f, level, cacheDir, stats);
    // a fresh run is zlib's own buffer; an entry as read may sit in Node's small-buffer pool
    const bytes = movableBytes(run.bytes, f.content.buffer);
    let at = place.get(bytes.buffer);
    if (at === undefined) {
      at = buffers.length;
      buffers.push(bytes.buffer);
      place.set(bytes.buffer, at);
    }
    runs.push({ file: index, buffer: at, offset: bytes.byteOffset, length: bytes.byteLength, crc: run.crc });
  });
  const result: PreparedRuns = { runs, buffers, level, format: RUN_FORMAT, stats };
  return { result, transfer: buffers };
};

function runOf(f: Extract<ApkFile, { kind: 'file' }>, level: number, cacheDir: string | undefined, stats: { -readonly [K in keyof PreparedRuns['stats']]: number }): CompressedRun {
  const sha1 = checkedSha1Of(f);
  const key = cacheDir !== undefined && sha1 !== undefined ? { sha1, level, format: RUN_FORMAT } : undefined;
  if (key !== undefined && cacheDir !== undefined) {
    const found = findRun(cacheDir, key, f.content);
    if (typeof found !== 'string') {
      stats.hits++;
      return found;
    }
    stats.misses++;
    if (found === 'refused') stats.refused++;
  }
  const run = compressStandalone(f.content, level);
  if (key !== undefined && cacheDir !== undefined) {
    try {
      keepRun(cacheDir, key, f.content.length, run.bytes);
      stats.kept++;
      stats.keptBytes += run.bytes.length;
    } catch {
      stats.keepFailures++; // a cache that cannot keep runs costs only speed
    }
  }
  return run;
}

/** The main thread's runs of a package read with this step: by file (the files of `apk` as unpacked on this thread). */
export function unpackPreparedRuns(apk: DecodedApk, prepared: PreparedRuns): Map<ApkFile, CompressedRun> {
  const out = new Map<ApkFile, CompressedRun>();
  for (const r of prepared.runs) {
    const file = apk.files[r.file];
    const buffer = prepared.buffers[r.buffer];
    if (file === undefined || buffer === undefined) continue;
    out.set(file, { bytes: Buffer.from(buffer, r.offset, r.length), crc: r.crc, level: prepared.level, format: prepared.format });
  }
  return out;
}

/** This module, for AfterReadStep.module. */
export const PREPARE_RUNS_MODULE = import.meta.url;
