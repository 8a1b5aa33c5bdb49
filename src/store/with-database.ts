import { KilnError, isKilnError } from '../errors/index.ts';

/**
 * Run one store operation; a failure that is not already a KilnError (a driver or SQL
 * error) becomes DATABASE_FAILED naming the operation, with the original as cause.
 */
export async function withDatabase<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isKilnError(error)) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new KilnError('DATABASE_FAILED', `${operation}: ${message}`, { cause: error });
  }
}
