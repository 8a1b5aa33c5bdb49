import { isKilnError } from './kiln-error.ts';

/** An error as one line for a result's reason or a log: `CODE: message` for kiln's own errors. */
export function describeError(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return isKilnError(e) ? `${e.code}: ${message}` : message;
}
