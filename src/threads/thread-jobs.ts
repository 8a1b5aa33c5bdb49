import { parentPort, type Transferable } from 'node:worker_threads';
import { KilnError } from '../errors/index.ts';
import { packError, type PackedError } from './thread-errors.ts';

/** A thread's messages to its pool: `ready` once loaded, then one reply per job. */
export type ThreadMessage<Reply> =
  | { readonly kind: 'ready' }
  | ({ readonly kind: 'reply'; readonly id: number } & ({ readonly ok: true; readonly reply: Reply } | { readonly ok: false; readonly error: PackedError }));

/** What a job handler returns: the reply, and the buffers to move (not copy) back with it. */
export type ThreadJobResult<Reply> = { readonly reply: Reply; readonly transfer?: readonly Transferable[] };

/**
 * The worker side of a {@link ThreadPool}: answers each job with `handle`, one at a
 * time as the pool sends them. A handler that throws fails that job only, and the pool
 * rejects it with the error as thrown (a KilnError keeps its code and message).
 */
export function serveThreadJobs<Request, Reply>(name: string, handle: (request: Request) => ThreadJobResult<Reply> | Promise<ThreadJobResult<Reply>>): void {
  if (parentPort === null) throw new KilnError('USAGE', `${name} runs as a worker thread of its pool, not as a program`);
  const port = parentPort;
  const fail = (id: number, e: unknown): void => port.postMessage({ kind: 'reply', id, ok: false, error: packError(e) } satisfies ThreadMessage<Reply>);
  port.on('message', (m: { readonly kind: 'job'; readonly id: number; readonly request: Request }) => {
    void (async () => {
      let result: ThreadJobResult<Reply>;
      try {
        result = await handle(m.request);
      } catch (e) {
        fail(m.id, e);
        return;
      }
      try {
        port.postMessage({ kind: 'reply', id: m.id, ok: true, reply: result.reply } satisfies ThreadMessage<Reply>, (result.transfer ?? []) as Transferable[]);
      } catch (e) {
        // a reply that cannot be cloned or moved: the job fails, the thread lives on
        fail(m.id, e);
      }
    })();
  });
  port.postMessage({ kind: 'ready' } satisfies ThreadMessage<Reply>);
}
