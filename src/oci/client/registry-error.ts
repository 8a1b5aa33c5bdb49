import { z } from 'zod';
import { KilnError, type KilnErrorCode } from '../../errors/index.ts';

/** What the client was doing when a registry said no, for messages. */
export type Operation = {
  readonly host: string;
  readonly repository?: string;
  /** e.g. `GET manifest v1`, `PUT blob sha256:…`. */
  readonly what: string;
};

/**
 * A registry's refusal: carries the HTTP status and the distribution-spec error code
 * (`BLOB_UNKNOWN`, `DIGEST_INVALID`, …) so callers can branch on them, while `code`
 * stays one of kiln's stable codes.
 */
export class RegistryError extends KilnError {
  readonly status: number;
  readonly registryCode: string | undefined;
  readonly operation: Operation;

  constructor(code: KilnErrorCode, message: string, status: number, registryCode: string | undefined, operation: Operation) {
    super(code, message);
    this.name = 'RegistryError';
    this.status = status;
    this.registryCode = registryCode;
    this.operation = operation;
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}

const ErrorBody = z.object({
  errors: z.array(z.looseObject({ code: z.string(), message: z.string().optional(), detail: z.unknown().optional() })),
});

/** Registry codes that mean "there is no such thing". */
const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['BLOB_UNKNOWN', 'BLOB_UPLOAD_UNKNOWN', 'MANIFEST_UNKNOWN', 'NAME_UNKNOWN']);

/** Builds the error for a non-success response from its status and (maybe JSON) body. */
export function registryError(operation: Operation, status: number, body: Buffer | undefined): RegistryError {
  const parsed = parseErrorBody(body);
  const first = parsed[0];
  const registryCode = first?.code;
  const code = kilnCode(status, registryCode);
  const where = `${operation.host}${operation.repository !== undefined ? `/${operation.repository}` : ''}`;
  const said = parsed.length
    ? parsed.map((e) => `${e.code}${e.message ? `: ${e.message}` : ''}`).join('; ')
    : body !== undefined && body.length > 0
      ? JSON.stringify(body.toString('utf8', 0, Math.min(body.length, 200)).trim())
      : 'no error body';
  return new RegistryError(code, `${operation.what} on ${where}: HTTP ${status} (${said})`, status, registryCode, operation);
}

function parseErrorBody(body: Buffer | undefined): ReadonlyArray<{ code: string; message?: string | undefined }> {
  if (body === undefined || body.length === 0) return [];
  try {
    const r = ErrorBody.safeParse(JSON.parse(body.toString('utf8')));
    return r.success ? r.data.errors : [];
  } catch {
    return [];
  }
}

function kilnCode(status: number, registryCode: string | undefined): KilnErrorCode {
  if (status === 401 || status === 403 || registryCode === 'UNAUTHORIZED' || registryCode === 'DENIED') return 'UNAUTHORIZED';
  if (registryCode === 'DIGEST_INVALID') return 'DIGEST_MISMATCH';
  if (registryCode === 'SIZE_INVALID') return 'SIZE_MISMATCH';
  if (registryCode === 'MANIFEST_BLOB_UNKNOWN') return 'REGISTRY_ERROR';
  if (status === 404 || (registryCode !== undefined && NOT_FOUND_CODES.has(registryCode))) return 'NOT_FOUND';
  return 'REGISTRY_ERROR';
}

/** A network failure (reset, refused, timeout) during an operation. */
export function networkError(operation: Operation, cause: unknown): KilnError {
  const where = `${operation.host}${operation.repository !== undefined ? `/${operation.repository}` : ''}`;
  const detail = (cause as { code?: string; message?: string }).code ?? (cause as Error).message;
  return new KilnError('NETWORK', `${operation.what} on ${where}: ${detail}`, { cause });
}
