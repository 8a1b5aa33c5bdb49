import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, utimesSync, writevSync } from 'node:fs';
import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { FINAL_EMPTY_BLOCK, type CompressedRun } from '../layer/standalone-run.ts';
import { verifyRunEntry } from './verify-run-entry.ts';

/**
 * The layer cache: standalone runs (standalone-run.ts) of large files from earlier
 * builds, one file per content under `<dir>/<first 2 hex digits>/`, so that a rebuild
 * compresses only the files that changed. An entry is the run followed by an empty
 * final block, which makes it a complete deflate stream on its own.
 *
 * Nothing read from here is trusted. Entries are found by the file's SHA-1 (checked
 * against its package), but before a run is used it is decompressed and compared with
 * the file's content byte for byte, must consume every byte of the entry and end only
 * at that final block, so it cannot cut the layer short (verify-run-entry.ts). An entry
 * that fails is ignored: the file is compressed again, and the good run replaces it.
 * Whoever can write the directory can therefore change no layer's content, at most
 * make a build slower; a SHA-1 collision finds an entry that then fails the comparison.
 *
 * Lookups and writes run on the APK reader threads while the package's contents are
 * in their memory (prepare-runs.ts); the main thread only trims the cache. Entries are
 * written to a temporary name and renamed, so concurrent builds (several kiln workers
 * on one state directory) see whole entries or none.
 */

/** Which run a file has: its content's SHA-1 (with its length), the zlib level, and the run format. */
export type DeflateRunKey = { readonly sha1: Uint8Array; readonly level: number; readonly format: string };

export type DeflateRunCacheStats = {
  readonly hits: number;
  readonly misses: number;
  /** Entries present but refused: damaged, truncated, or not this content. */
  readonly refused: number;
  readonly kept: number;
  readonly keepFailures: number;
  readonly pruned: number;
};

export const DEFAULT_LAYER_CACHE_BYTES = 2 * 1024 ** 3;

/** Temporary files older than this are a crashed writer's; pruning removes them. */
const STALE_TMP_MS = 60 * 60 * 1000;

function entryPath(dir: string, key: DeflateRunKey, size: number): { readonly fan: string; readonly file: string } {
  const hex = Buffer.from(key.sha1).toString('hex');
  const fan = join(dir, hex.slice(0, 2));
  return { fan, file: join(fan, `${hex}-${size}-l${key.level}-${key.format}`) };
}

/**
 * `content`'s run from the cache in `dir`, verified against `content`; `missing` when
 * there is no entry, `refused` when there is one that is not a run of this content. A
 * hit marks the entry used now (pruning removes the longest unused first).
 */
export function findRun(dir: string, key: DeflateRunKey, content: Uint8Array): CompressedRun | 'missing' | 'refused' {
  const { file } = entryPath(dir, key, content.length);
  let entry: Buffer;
  try {
    entry = readFileSync(file);
  } catch {
    return 'missing';
  }
  const verdict = verifyRunEntry(entry, content);
  if ('refused' in verdict) return 'refused';
  const now = new Date();
  try {
    utimesSync(file, now, now);
  } catch {
    // pruned or replaced meanwhile: the run in hand is verified all the same
  }
  return { bytes: entry.subarray(0, verdict.runLength), crc: verdict.crc, level: key.level, format: key.format };
}

/** Keeps `run` of a content of `size` bytes in `dir`; throws when it cannot (the caller counts it and goes on). */
export function keepRun(dir: string, key: DeflateRunKey, size: number, run: Uint8Array): void {
  const { fan, file } = entryPath(dir, key, size);
  mkdirSync(fan, { recursive: true, mode: 0o700 });
  const tmp = join(fan, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writevSync(fd, [run, FINAL_EMPTY_BLOCK]);
  } finally {
    closeSync(fd);
  }
  // no fsync: an entry cut short by a crash fails verification and is replaced
  try {
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
}

export type DeflateRunCacheOptions = {
  /** The cache is pruned, oldest use first, when it grows past this (default DEFAULT_LAYER_CACHE_BYTES). */
  readonly maxBytes?: number;
};

/** The main thread's handle on a layer cache directory: where it is, what builds did with it, and trimming. */
export class DeflateRunCache {
  readonly #dir: string;
  readonly #maxBytes: number;
  #stats: Omit<DeflateRunCacheStats, 'pruned'> = { hits: 0, misses: 0, refused: 0, kept: 0, keepFailures: 0 };
  #pruned = 0;
  #keptBytesSincePrune = 0;
  #measured = false;

  private constructor(dir: string, maxBytes: number) {
    this.#dir = dir;
    this.#maxBytes = maxBytes;
  }

  static async open(dir: string, options: DeflateRunCacheOptions = {}): Promise<DeflateRunCache> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new KilnError('IO', `layer cache ${dir}: cannot create the directory (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
    }
    return new DeflateRunCache(dir, options.maxBytes ?? DEFAULT_LAYER_CACHE_BYTES);
  }

  get dir(): string {
    return this.#dir;
  }

  /** Adds what a reader thread did with the cache (prepare-runs.ts). */
  record(used: Omit<DeflateRunCacheStats, 'pruned'> & { readonly keptBytes: number }): void {
    const s = this.#stats;
    this.#stats = { hits: s.hits + used.hits, misses: s.misses + used.misses, refused: s.refused + used.refused, kept: s.kept + used.kept, keepFailures: s.keepFailures + used.keepFailures };
    this.#keptBytesSincePrune += used.keptBytes;
  }

  /**
   * Prunes when the cache may have grown past its limit (it is measured at the first call
   * after something was kept, and again once a further eighth of the limit was kept).
   * Returns what builds did with this cache so far.
   */
  async settle(): Promise<DeflateRunCacheStats> {
    if (this.#keptBytesSincePrune > 0 && (!this.#measured || this.#keptBytesSincePrune > this.#maxBytes / 8)) {
      await this.#prune();
      this.#measured = true;
      this.#keptBytesSincePrune = 0;
    }
    return { ...this.#stats, pruned: this.#pruned };
  }

  /** Removes entries used longest ago until the cache is within 90% of its limit. */
  async #prune(): Promise<void> {
    const entries: { path: string; size: number; used: number }[] = [];
    const now = Date.now();
    for (const fan of await readdir(this.#dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const name of await readdir(join(this.#dir, fan)).catch(() => [] as string[])) {
        const path = join(this.#dir, fan, name);
        const st = await lstat(path).catch(() => undefined);
        if (st === undefined || !st.isFile()) continue;
        if (name.startsWith('.tmp-')) {
          if (now - st.mtimeMs > STALE_TMP_MS) await unlink(path).catch(() => undefined);
          continue;
        }
        entries.push({ path, size: st.size, used: st.mtimeMs });
      }
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    if (total <= this.#maxBytes) return;
    entries.sort((a, b) => a.used - b.used || (a.path < b.path ? -1 : 1));
    for (const e of entries) {
      if (total <= this.#maxBytes * 0.9) break;
      await unlink(e.path).catch(() => undefined);
      total -= e.size;
      this.#pruned++;
    }
  }
}
