import { KilnError } from '../errors/index.ts';
import type { Trigger } from '../factory/index.ts';

/**
 * Asks a running `kiln serve` (its /api/v1/cycles) for a cycle with this trigger, the way
 * a package publication tells the factory: the server owns the database and the queue.
 * Resolves to the cycle's id.
 */
export async function queueCycleOnServer(server: string, trigger: Trigger): Promise<string> {
  let url: URL;
  try {
    url = new URL('/api/v1/cycles', server);
  } catch (cause) {
    throw new KilnError('USAGE', `--notify: expected the URL of a kiln serve, e.g. http://127.0.0.1:5000, found ${JSON.stringify(server)}`, { cause });
  }
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ trigger }), signal: AbortSignal.timeout(30_000) });
  } catch (cause) {
    throw new KilnError('NETWORK', `cannot reach kiln serve at ${url.origin} to queue the cycle: ${(cause as Error).message}`, { cause });
  }
  const body = (await res.json().catch(() => undefined)) as { id?: unknown; error?: { code?: string; message?: string } } | undefined;
  if (res.status !== 202 || typeof body?.id !== 'string') {
    const why = body?.error?.message ?? `HTTP ${res.status}`;
    throw new KilnError(res.status === 404 ? 'NOT_FOUND' : 'REGISTRY_ERROR', `kiln serve at ${url.origin} did not queue the cycle: ${why}`);
  }
  return body.id;
}
