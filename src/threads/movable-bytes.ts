import { isMarkedAsUntransferable } from 'node:worker_threads';

/**
 * `bytes` ready to be moved to another thread: as they are when their buffer may move
 * on its own, else copied into a buffer of their own. A buffer may not move when it is
 * Node's pool of small buffers (marked untransferable; moving it throws), or when it is
 * `keep`, a buffer that must stay where it is (a package's contents, say). The result
 * may sit at an offset of a larger buffer: the receiver takes the view, not the buffer.
 */
export function movableBytes(bytes: Uint8Array, keep?: ArrayBufferLike): Uint8Array<ArrayBuffer> {
  const buffer = bytes.buffer;
  if (buffer instanceof ArrayBuffer && !isMarkedAsUntransferable(buffer) && buffer !== keep) return bytes as Uint8Array<ArrayBuffer>;
  return new Uint8Array(bytes); // a plain copy: Buffer.from would take from the pool again
}
