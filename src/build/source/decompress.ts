import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { KilnError } from '../../errors/index.ts';

export type ArchiveFormat = 'tar' | 'tar.gz' | 'tar.xz' | 'tar.bz2' | 'tar.zst' | 'zip';

/**
 * Tells the format from the first bytes, not the file name: a URL's name can lie,
 * and the cache stores blobs under their digest anyway.
 */
export async function detectArchiveFormat(path: string): Promise<ArchiveFormat> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(512);
  try {
    await fh.read(head, 0, 512, 0);
  } finally {
    await fh.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'tar.xz';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'tar.bz2';
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'tar.zst';
  if (head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'zip';
  // ustar magic at 257; older v7 archives have none, and the tar parser will judge them
  return 'tar';
}

/**
 * The uncompressed tar stream of an archive. gzip and zstd are decompressed in
 * process (node:zlib); xz and bzip2 by the system's `xz -dc` / `bzip2 -dc`, which
 * only transform bytes and touch no files. A failing decompressor errors the stream
 * with ARCHIVE_INVALID.
 */
export function openTarStream(path: string, format: ArchiveFormat): Readable {
  switch (format) {
    case 'tar':
      return createReadStream(path);
    case 'tar.gz':
      return pipeThrough(createReadStream(path), createGunzip(), path);
    case 'tar.zst':
      return pipeThrough(createReadStream(path), createZstdDecompress(), path);
    case 'tar.xz':
      return decompressWith('xz', path);
    case 'tar.bz2':
      return decompressWith('bzip2', path);
    case 'zip':
      throw new KilnError('ARCHIVE_INVALID', `${path}: zip archives are not extracted by kiln yet; use extract: false and unpack in the build`);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

function pipeThrough(src: Readable, through: NodeJS.ReadWriteStream & Readable, path: string): Readable {
  const out = new PassThrough();
  const fail = (e: Error): void => {
    out.destroy(new KilnError('ARCHIVE_INVALID', `${path}: cannot decompress: ${e.message}`, { cause: e }));
  };
  src.on('error', fail);
  through.on('error', fail);
  // a consumer that gives up early (refused entry) closes the file too
  out.on('close', () => {
    src.destroy();
    through.destroy();
  });
  return src.pipe(through).pipe(out);
}

function decompressWith(tool: 'xz' | 'bzip2', path: string): Readable {
  const out = new PassThrough();
  const child = spawn(tool, ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  child.on('error', (e) => out.destroy(new KilnError('ARCHIVE_INVALID', `${path}: cannot run ${tool}: ${e.message}`, { cause: e })));
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    if (code === 0) out.end();
    else out.destroy(new KilnError('ARCHIVE_INVALID', `${path}: ${tool} -dc failed (exit ${code}): ${stderr.trim()}`));
  });
  // a consumer that gives up early (refused entry) must not leave the tool running
  out.on('close', () => {
    if (child.exitCode === null) child.kill();
  });
  return out;
}
