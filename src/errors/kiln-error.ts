/**
 * Every error kiln raises on purpose. The code is stable (scripts and the CLI's exit
 * status depend on it); the message says what was expected, what was found and where.
 */
export type KilnErrorCode =
  // bad input: the user can fix it (exit 2)
  | 'USAGE'
  | 'INPUT_INVALID'
  | 'DIGEST_INVALID'
  | 'REFERENCE_INVALID'
  | 'NAME_INVALID'
  | 'TAG_INVALID'
  | 'MANIFEST_INVALID'
  | 'CONFIG_INVALID'
  | 'VERSION_INVALID'
  | 'CONSTRAINT_INVALID'
  | 'PACKAGE_INVALID'
  | 'INDEX_INVALID'
  | 'KEY_INVALID'
  | 'PATH_UNSAFE'
  | 'RECIPE_INVALID'
  | 'PIPELINE_INVALID'
  | 'PACKAGE_UNKNOWN'
  | 'UNSATISFIABLE'
  /** A catalog entry (src/factory) is malformed; the rest of the catalog still loads. */
  | 'CATALOG_INVALID'
  /** Two packages (or a package and kiln) put different things at one path. */
  | 'FILE_CONFLICT'
  // failed work (exit 1)
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'LAYOUT_INVALID'
  | 'NOT_FOUND'
  | 'REGISTRY_ERROR'
  | 'UNAUTHORIZED'
  | 'NETWORK'
  | 'IO'
  | 'SIGNATURE_INVALID'
  | 'VERIFY_FAILED'
  | 'LOCK_MISMATCH'
  // source stage (src/build/source)
  | 'SOURCE_FETCH_FAILED'
  | 'ARCHIVE_UNSAFE'
  | 'ARCHIVE_INVALID'
  | 'PATCH_FAILED'
  | 'GIT_FAILED'
  | 'COMMIT_MISMATCH'
  // build sandbox and build environments (src/build/sandbox, src/build/environment)
  | 'SANDBOX_FAILED'
  | 'ENVIRONMENT_FAILED'
  // package builds (src/build/package)
  /** A recipe's `test:` pipeline failed against the packages just built; nothing was published. */
  | 'PACKAGE_TEST_FAILED'
  // Debian import (src/build/deb-import)
  /** A .deb that is not a well-formed Debian binary package. */
  | 'DEB_INVALID'
  /** apt could not list or download a Debian package. */
  | 'DEB_FETCH_FAILED'
  // history database (src/store)
  /** A query or connection to the history database failed. */
  | 'DATABASE_FAILED'
  /** An embedded (PGlite) database directory is open in another kiln process (or instance). */
  | 'DATABASE_BUSY'
  /** A schema migration failed; the database is left at the last migration that succeeded. */
  | 'MIGRATION_FAILED'
  // job queue (src/factory/queue)
  /** The job queue (pg-boss on the history database) could not start, or a job could not be sent. */
  | 'QUEUE_FAILED';

export class KilnError extends Error {
  readonly code: KilnErrorCode;
  constructor(code: KilnErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'KilnError';
    this.code = code;
  }
}

export function isKilnError(e: unknown): e is KilnError {
  return e instanceof KilnError;
}

/** Codes that mean the input was wrong, as opposed to the work failing. */
const INPUT_CODES: ReadonlySet<KilnErrorCode> = new Set([
  'USAGE',
  'INPUT_INVALID',
  'DIGEST_INVALID',
  'REFERENCE_INVALID',
  'NAME_INVALID',
  'TAG_INVALID',
  'MANIFEST_INVALID',
  'CONFIG_INVALID',
  'VERSION_INVALID',
  'CONSTRAINT_INVALID',
  'PACKAGE_INVALID',
  'INDEX_INVALID',
  'KEY_INVALID',
  'PATH_UNSAFE',
  'RECIPE_INVALID',
  'PIPELINE_INVALID',
  'PACKAGE_UNKNOWN',
  'UNSATISFIABLE',
  'CATALOG_INVALID',
  'FILE_CONFLICT',
]);

export function isInputError(code: KilnErrorCode): boolean {
  return INPUT_CODES.has(code);
}
