import { createWriteStream } from 'node:fs';
import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { RegistryError } from './errors.ts';

/**
 * Appends everything `body` yields to the file at `path`, feeding each chunk to `hash`
 * on the way, and resolves with the byte count once the data is on disk (fsynced when
 * `durable`). With `expectedLength`, a body of any other length is SIZE_INVALID.
 *
 * This is a hand-rolled pump rather than `pipeline()` for two reasons: a pass-through
 * Transform costs a hop per chunk on the hot path of every push, and on a failure we
 * must not destroy the request (that would kill the socket before the client gets its
 * error); we stop writing and let the rest of the body drain instead.
 */
export function appendStream(
  path: string,
  body: Readable,
  hash: Hash,
  expectedLength: number | undefined,
  durable: boolean,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const out = createWriteStream(path, { flags: 'a', highWaterMark: 1 << 20, flush: durable });
    let count = 0;
    let settled = false;
    let ended = false;

    const fail = (e: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.resume();
      // wait until the file is closed, so that the caller may truncate or remove it
      if (out.closed) reject(e);
      else {
        out.once('close', () => reject(e));
        out.destroy();
      }
    };
    const onData = (chunk: Buffer): void => {
      count += chunk.length;
      if (expectedLength !== undefined && count > expectedLength) {
        fail(sizeInvalid(expectedLength, `more than ${expectedLength}`));
        return;
      }
      hash.update(chunk);
      if (!out.write(chunk)) body.pause();
    };

    body.on('data', onData);
    out.on('drain', () => {
      if (!settled) body.resume();
    });
    body.once('end', () => {
      ended = true;
      if (settled) return;
      if (expectedLength !== undefined && count !== expectedLength) fail(sizeInvalid(expectedLength, String(count)));
      else out.end();
    });
    // a client that goes away mid-body is no fault of ours: answer (if anyone listens) as a bad upload
    body.once('error', (cause) => fail(new RegistryError('BLOB_UPLOAD_INVALID', `the request body failed after ${count} bytes: ${cause.message}`, { cause })));
    body.once('close', () => {
      if (!ended) fail(new RegistryError('BLOB_UPLOAD_INVALID', `the request body ended after ${count} bytes: the client went away`));
    });
    out.once('error', (e) => fail(e));
    out.once('close', () => {
      if (settled) return;
      settled = true;
      resolve(count);
    });
  });
}

function sizeInvalid(expected: number, found: string): RegistryError {
  return new RegistryError('SIZE_INVALID', `the request said the body holds ${expected} bytes, found ${found}`);
}
