import { isKilnError, KilnError, type KilnErrorCode } from '../errors/index.ts';

/**
 * An error as it crosses from a thread to its pool. Structured clone keeps an Error's
 * message but not its class or its own fields, so a KilnError would arrive without its
 * code; this plain record keeps what the main thread needs to throw it again.
 */
export type PackedError = {
  /** Whether it was a KilnError, whose `code` is a KilnErrorCode. */
  readonly kiln: boolean;
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
  readonly cause?: PackedError;
};

/** Errors keep their name, message, `code` (KilnError's, or Node's such as ENOENT), stack and cause. */
export function packError(e: unknown, depth = 0): PackedError {
  if (!(e instanceof Error)) return { kiln: false, name: 'Error', message: String(e) };
  const code = (e as { code?: unknown }).code;
  return {
    kiln: isKilnError(e),
    name: e.name,
    message: e.message,
    ...(typeof code === 'string' && { code }),
    ...(e.stack !== undefined && { stack: e.stack }),
    ...(e.cause !== undefined && depth < 4 && { cause: packError(e.cause, depth + 1) }),
  };
}

/** The error as the thread threw it: a KilnError with the same code and message, its stack the thread's. */
export function unpackError(p: PackedError): Error {
  const options = p.cause !== undefined ? { cause: unpackError(p.cause) } : undefined;
  let e: Error;
  if (p.kiln && p.code !== undefined) e = new KilnError(p.code as KilnErrorCode, p.message, options);
  else {
    e = new Error(p.message, options);
    e.name = p.name;
    if (p.code !== undefined) Object.assign(e, { code: p.code });
  }
  if (p.stack !== undefined) e.stack = p.stack;
  return e;
}
