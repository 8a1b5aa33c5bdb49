import { spawn } from 'node:child_process';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { KilnError } from '../../errors/index.ts';

/** A decompressed tar larger than this is refused rather than filling memory. */
export const MAX_TAR_BYTES = 1024 * 1024 * 1024;

/**
 * The tar inside a .deb member named `control.tar[.gz|.xz|.zst]` or `data.tar[…]`.
 * gzip and zstd are inflated in process; xz by the system's `xz -dc` reading stdin
 * (it touches no files). The compression is told by the name, as dpkg-deb does, and
 * checked against the magic bytes so a mislabelled member fails clearly.
 */
export async function decompressMember(name: string, content: Buffer, where: string): Promise<Buffer> {
  const bad = (why: string, cause?: unknown): KilnError => new KilnError('DEB_INVALID', `${where}: member ${name}: ${why}`, cause === undefined ? undefined : { cause });
  const ext = /\.tar(?:\.(gz|xz|zst))?$/.exec(name)?.[1] ?? 'tar';
  const magic: Readonly<Record<string, number[]>> = { gz: [0x1f, 0x8b], xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], zst: [0x28, 0xb5, 0x2f, 0xfd] };
  const want = magic[ext];
  if (want !== undefined && !want.every((byte, i) => content[i] === byte)) throw bad(`does not start with the ${ext} magic bytes`);
  try {
    switch (ext) {
      case 'tar':
        return content;
      case 'gz':
        return gunzipSync(content, { maxOutputLength: MAX_TAR_BYTES });
      case 'zst':
        return zstdDecompressSync(content, { maxOutputLength: MAX_TAR_BYTES });
      default:
        return await xzDecompress(content);
    }
  } catch (e) {
    if (e instanceof KilnError) throw e;
    throw bad(`cannot decompress ${ext}: ${(e as Error).message}`, e);
  }
}

function xzDecompress(input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('xz', ['-dc', '--single-stream'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      size += c.byteLength;
      if (size > MAX_TAR_BYTES) {
        child.kill();
        reject(new Error(`more than ${MAX_TAR_BYTES} bytes uncompressed`));
        return;
      }
      chunks.push(c);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    child.on('error', (e) => reject(new Error(`cannot run xz: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`xz -dc exited ${code}: ${stderr.trim()}`))));
    child.stdin.on('error', () => {
      // xz closes stdin early on bad input; its exit status reports the failure
    });
    child.stdin.end(input);
  });
}
