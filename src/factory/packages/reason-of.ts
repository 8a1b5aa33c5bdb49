import { isKilnError } from '../../errors/index.ts';

/** An error as a result's reason: `CODE: message` for kiln's own errors. */
export function reasonOf(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return isKilnError(e) ? `${e.code}: ${message}` : message;
}
