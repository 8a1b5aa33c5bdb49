/**
 * Errors the registry answers with, in the vocabulary of distribution-spec v1.1. The
 * `code` is the spec's error code (clients switch on it); `status` is the HTTP status
 * it travels with. Storage drivers throw these too, so that a driver's refusal (a bad
 * digest, an unknown upload) reaches the client unchanged.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS';

/** The status each code travels with unless a handler picks another (416, 413). */
const STATUS: Readonly<Record<RegistryErrorCode, number>> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
};

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  /** Goes into the body's `detail`; never secrets, never host paths. */
  readonly detail: unknown;

  constructor(
    code: RegistryErrorCode,
    message: string,
    options: { readonly status?: number; readonly detail?: unknown; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.detail = options.detail ?? null;
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}

/** A Content-Range that does not continue the upload where it stands. */
export function rangeNotSatisfiable(message: string, detail?: unknown): RegistryError {
  return new RegistryError('BLOB_UPLOAD_INVALID', message, { status: 416, detail });
}

/** The spec's error body. */
export function errorBody(e: RegistryError): string {
  return JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: e.detail }] });
}
