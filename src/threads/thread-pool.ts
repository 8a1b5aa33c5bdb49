import { getCompileCacheDir } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { Worker, type Transferable } from 'node:worker_threads';
import { isKilnError, KilnError } from '../errors/index.ts';
import type { ThreadEntryData } from './thread-entry.ts';
import { unpackError } from './thread-errors.ts';
import type { ThreadMessage } from './thread-jobs.ts';

/** Why a job got no reply. */
export type JobLoss =
  /** The pool was closed first. */
  | { readonly kind: 'closed' }
  /** Its thread ended; `how` is "exited with code 9" or "failed with Error: …". */
  | { readonly kind: 'thread-ended'; readonly how: string; readonly starting: boolean };

export type ThreadPoolOptions<Request = unknown> = {
  /** The worker module: one that calls {@link serveThreadJobs}. */
  readonly url: URL;
  /** What the threads are called in errors and debuggers. */
  readonly name: string;
  /** Threads at most; default min(availableParallelism(), 4). */
  readonly size?: number;
  /**
   * Jobs handed to one thread at once (default 2): the next one waits in the thread's own
   * queue, so the thread goes on working while the main thread is busy elsewhere instead
   * of idling until the main thread hands it more.
   */
  readonly depth?: number;
  /**
   * The message of the IO error a job fails with when it gets no reply, so that a caller
   * can name the job in it (a package's path, say); by default a message about the pool.
   */
  readonly lostMessage?: (request: Request, loss: JobLoss) => string;
};

type Job<Request, Reply> = {
  readonly id: number;
  readonly request: Request;
  readonly transfer: readonly Transferable[];
  readonly resolve: (reply: Reply) => void;
  readonly reject: (e: unknown) => void;
};

type Thread<Request, Reply> = { readonly worker: Worker; ready: boolean; readonly jobs: Map<number, Job<Request, Reply>>; failure: Error | undefined };

/** Every pool's threads start here: it enables the compile cache, then loads the pool's module. */
const ENTRY = new URL('./thread-entry.ts', import.meta.url);

/**
 * Worker threads for CPU-heavy jobs whose garbage would otherwise land on the main
 * thread's heap (compressing, inflating, verifying). Threads start on demand, work
 * through their jobs in order and are reused. A thread is ref'd only while it has jobs
 * (or is starting for one), so an idle pool never keeps the process alive and a pending
 * job never lets it exit. A job whose handler throws fails with that error (a KilnError
 * arrives with its code and message; anything else as an IO error caused by it). A
 * thread that dies fails its jobs with an IO error and is replaced.
 */
export class ThreadPool<Request, Reply> {
  readonly #url: URL;
  readonly #name: string;
  readonly #size: number;
  readonly #depth: number;
  readonly #lostMessage: ((request: Request, loss: JobLoss) => string) | undefined;
  readonly #threads = new Set<Thread<Request, Reply>>();
  readonly #queue: Job<Request, Reply>[] = [];
  readonly #readyWaiters: { readonly resolve: () => void; readonly reject: (e: unknown) => void }[] = [];
  #nextId = 0;
  #closed = false;

  constructor(options: ThreadPoolOptions<Request>) {
    this.#url = options.url;
    this.#name = options.name;
    this.#size = Math.max(1, options.size ?? Math.min(availableParallelism(), 4));
    this.#depth = Math.max(1, options.depth ?? 2);
    this.#lostMessage = options.lostMessage;
  }

  /** Runs `request` on a thread; `transfer` lists buffers moved (not copied) to it. */
  run(request: Request, transfer: readonly Transferable[] = []): Promise<Reply> {
    if (this.#closed) return Promise.reject(this.#lost(request, { kind: 'closed' }));
    return new Promise<Reply>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, request, transfer, resolve, reject });
      this.#dispatch();
    });
  }

  /** Starts every thread now, so that they are up when the first job comes. */
  warm(): void {
    while (!this.#closed && this.#threads.size < this.#size) this.#spawn();
    this.#updateRefs();
  }

  /** Whether a thread is up and taking jobs (a job run now starts at once if it has room). */
  get anyReady(): boolean {
    for (const t of this.#threads) if (t.ready) return true;
    return false;
  }

  /** Settles once a thread is up, starting the threads if none is; fails if the pool is closed first. */
  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#stopped());
    if (this.anyReady) return Promise.resolve();
    const up = new Promise<void>((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    this.warm();
    return up;
  }

  /** Stops every thread; jobs queued or running fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(this.#lost(job.request, { kind: 'closed' }));
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(this.#stopped());
    await Promise.all(
      [...this.#threads].map((t) => {
        t.worker.ref(); // an unref'd thread's exit would not keep the process up to settle this
        return t.worker.terminate();
      }),
    );
  }

  #lost(request: Request, loss: JobLoss, cause?: Error): KilnError {
    const message =
      this.#lostMessage?.(request, loss) ??
      (loss.kind === 'closed' ? `the ${this.#name} threads were stopped before the job was done` : `the ${this.#name} thread ${loss.how} ${loss.starting ? 'while starting' : 'during a job'}`);
    return new KilnError('IO', message, cause === undefined ? undefined : { cause });
  }

  #stopped(): KilnError {
    return new KilnError('IO', `the ${this.#name} threads were stopped`);
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      let least: Thread<Request, Reply> | undefined;
      for (const t of this.#threads) if (t.ready && t.jobs.size < this.#depth && (least === undefined || t.jobs.size < least.jobs.size)) least = t;
      if (least === undefined) break;
      const job = this.#queue.shift() as Job<Request, Reply>;
      least.jobs.set(job.id, job);
      least.worker.postMessage({ kind: 'job', id: job.id, request: job.request }, job.transfer as Transferable[]);
    }
    const starting = [...this.#threads].filter((t) => !t.ready).length;
    while (!this.#closed && this.#threads.size < this.#size && starting < this.#queue.length) this.#spawn();
    this.#updateRefs();
  }

  /** A new thread; its caller then calls #updateRefs, after the listeners (adding a 'message' listener refs the thread again). */
  #spawn(): void {
    const cacheDir = getCompileCacheDir();
    // the cache root, without the per-Node-version directory Node adds to it
    const workerData: ThreadEntryData = { module: this.#url.href, ...(cacheDir !== undefined && { compileCacheDir: dirname(cacheDir) }) };
    const worker = new Worker(ENTRY, { name: this.#name, workerData });
    const thread: Thread<Request, Reply> = { worker, ready: false, jobs: new Map(), failure: undefined };
    worker.on('message', (m: ThreadMessage<Reply>) => {
      if (m.kind === 'ready') {
        thread.ready = true;
        for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
        this.#dispatch();
        return;
      }
      const job = thread.jobs.get(m.id);
      if (job === undefined) return;
      thread.jobs.delete(m.id);
      this.#dispatch();
      if (m.ok) job.resolve(m.reply);
      else job.reject(this.#thrown(unpackError(m.error)));
    });
    // a message that cannot be deserialized belongs to no job we can name: the thread ends, failing its jobs with it
    worker.on('messageerror', (e: Error) => {
      thread.failure ??= e;
      void worker.terminate();
    });
    // an uncaught exception in the thread; 'exit' follows and fails the job with it
    worker.on('error', (e: Error) => {
      thread.failure = e;
    });
    worker.on('exit', (code: number) => this.#exited(thread, code));
    this.#threads.add(thread);
  }

  /** A KilnError as the handler threw it; anything else is an IO error of this pool's, caused by it. */
  #thrown(e: Error): Error {
    return isKilnError(e) ? e : new KilnError('IO', `${this.#name} thread: ${e.message}`, { cause: e });
  }

  #exited(thread: Thread<Request, Reply>, code: number): void {
    this.#threads.delete(thread);
    // a thread that died starting fails the oldest waiting job, so a thread that can never
    // start fails every job in turn rather than being replaced forever
    const waiting = thread.ready ? undefined : this.#queue.shift();
    const lost = [...thread.jobs.values(), ...(waiting === undefined ? [] : [waiting])];
    thread.jobs.clear();
    const how = thread.failure !== undefined ? `failed with ${thread.failure.name}: ${thread.failure.message}` : `exited with code ${code}`;
    for (const job of lost) {
      job.reject(this.#closed ? this.#lost(job.request, { kind: 'closed' }) : this.#lost(job.request, { kind: 'thread-ended', how, starting: !thread.ready }, thread.failure));
    }
    this.#dispatch(); // a fresh thread for the jobs still waiting
  }

  /** Ref'd while it has a job or starts for a waiting one; otherwise it must not hold the process open. */
  #updateRefs(): void {
    for (const t of this.#threads) {
      if (t.jobs.size > 0 || (!t.ready && this.#queue.length > 0)) t.worker.ref();
      else t.worker.unref();
    }
  }
}
