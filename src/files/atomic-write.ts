import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A temporary name beside `path`, so that the final rename stays on one filesystem. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.tmp-${basename(path)}-${randomBytes(6).toString('hex')}`);
}

/**
 * Writes `data` to `path` so that a reader sees the old file or the new one, never
 * half of either: temp file in the same directory, fsync, rename. The temp file is
 * created with its final `mode` (0644 by default), so a private key (0600) is never
 * readable by others, not even briefly.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: { readonly mode?: number } = {}): Promise<void> {
  const mode = options.mode ?? 0o644;
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    // the umask may have narrowed the mode at creation; set exactly what was asked
    await fh.chmod(mode);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Streams `source` through `through` (e.g. a verifying stream) into a temp file beside
 * `path`, and renames it into place only when the whole pipeline succeeded.
 */
export async function writeStreamAtomic(
  path: string,
  source: Readable,
  through: readonly NodeJS.ReadWriteStream[] = [],
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const out = createWriteStream(tmp, { flags: 'wx', mode: 0o644 });
    await pipeline([source, ...through, out]);
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
