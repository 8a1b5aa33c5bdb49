import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { KilnError } from '../errors/index.ts';

/** `sha256:` + 64 lowercase hex, or `sha512:` + 128. Never mixed with other strings. */
export type Digest = string & { readonly __brand: 'Digest' };
export type DigestAlgorithm = 'sha256' | 'sha512';

const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_PATTERN.test(s);
}

export function parseDigest(s: string, where = 'digest'): Digest {
  if (isDigest(s)) return s;
  throw new KilnError(
    'DIGEST_INVALID',
    `${where}: expected sha256:<64 lowercase hex> or sha512:<128 lowercase hex>, found ${JSON.stringify(s.slice(0, 140))}`,
  );
}

export function digestAlgorithm(d: Digest): DigestAlgorithm {
  return d.startsWith('sha512:') ? 'sha512' : 'sha256';
}

/** The hex part after the colon. */
export function digestHex(d: Digest): string {
  return d.slice(d.indexOf(':') + 1);
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}` as Digest;
}

/**
 * A pass-through stream that hashes and counts what flows through it. After the
 * stream ends, `digest` and `size` hold the result.
 */
export class HashingStream extends Transform {
  readonly algorithm: DigestAlgorithm;
  #hash: Hash;
  #size = 0;
  #digest: Digest | undefined;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    super();
    this.algorithm = algorithm;
    this.#hash = createHash(algorithm);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.#size += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.#digest = `${this.algorithm}:${this.#hash.digest('hex')}` as Digest;
    done();
  }

  get size(): number {
    return this.#size;
  }

  get digest(): Digest {
    if (this.#digest === undefined) throw new Error('HashingStream: digest read before the stream ended');
    return this.#digest;
  }
}

/**
 * A pass-through stream that fails at its end (before the consumer sees the end)
 * unless the content hashes to `expected` and, when given, has `expectedSize` bytes.
 * It also fails early once more than `expectedSize` bytes arrive.
 */
export class VerifyingStream extends Transform {
  readonly expected: Digest;
  readonly expectedSize: number | undefined;
  readonly source: string;
  #hash: Hash;
  #size = 0;

  constructor(expected: Digest, expectedSize: number | undefined, source: string) {
    super();
    this.expected = expected;
    this.expectedSize = expectedSize;
    this.source = source;
    this.#hash = createHash(digestAlgorithm(expected));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#size += chunk.length;
    if (this.expectedSize !== undefined && this.#size > this.expectedSize) {
      done(sizeMismatch(this.expected, this.source, this.expectedSize, `more than ${this.expectedSize}`));
      return;
    }
    this.#hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.expectedSize !== undefined && this.#size !== this.expectedSize) {
      done(sizeMismatch(this.expected, this.source, this.expectedSize, String(this.#size)));
      return;
    }
    const actual = `${digestAlgorithm(this.expected)}:${this.#hash.digest('hex')}`;
    if (actual !== this.expected) {
      done(new KilnError('DIGEST_MISMATCH', `blob ${this.expected} from ${this.source}: content hashes to ${actual}`));
      return;
    }
    done();
  }
}

function sizeMismatch(digest: Digest, source: string, expected: number, found: string): KilnError {
  return new KilnError('SIZE_MISMATCH', `blob ${digest} from ${source}: expected ${expected} bytes, found ${found}`);
}

/** Checks in-memory content against a digest (and size); throws DIGEST_MISMATCH / SIZE_MISMATCH. */
export function verifyContent(data: Uint8Array, expected: Digest, expectedSize: number | undefined, source: string): void {
  if (expectedSize !== undefined && data.length !== expectedSize) {
    throw sizeMismatch(expected, source, expectedSize, String(data.length));
  }
  const actual = digestOf(data, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new KilnError('DIGEST_MISMATCH', `blob ${expected} from ${source}: content hashes to ${actual}`);
  }
}
