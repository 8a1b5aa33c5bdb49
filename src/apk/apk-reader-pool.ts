import { KilnError } from '../errors/index.ts';
import { ThreadPool } from '../threads/index.ts';
import { runAfterRead, type AfterReadStep } from './apk-after-read.ts';
import { readOptionsOf, readRequest, unpackApk, type ApkReadReply, type ApkReadRequest } from './apk-reader-wire.ts';
import { readApk, type DecodedApk, type ReadApkOptions } from './read-apk.ts';

export type ApkReaderPoolOptions = {
  /** Reader threads at most; default min(availableParallelism(), 4). */
  readonly size?: number;
  /**
   * While no reader thread is up (a thread takes ~150 ms to start), read packages on the
   * calling thread, one at a time, instead of waiting for one; the reads still waiting
   * go to the first thread that is up. A one-shot build then loses nothing to the
   * threads' start. Default false: every read runs on a thread.
   */
  readonly readWhileStarting?: boolean;
  /** The reader module (tests substitute one that fails on purpose); default apk-reader-thread.ts. */
  readonly workerUrl?: URL;
};

/** A package as read, with what the request's after-read step returned for it (undefined without one). */
export type ApkRead = { readonly apk: DecodedApk; readonly after: unknown };

type Waiting = { readonly request: ApkReadRequest; readonly resolve: (read: ApkRead) => void; readonly reject: (e: unknown) => void };

/**
 * Reader threads that read and verify APK packages ({@link readApk}'s checks, all of
 * them) off the main thread: hashing, inflating, tar parsing and the garbage they leave
 * would otherwise hold the main thread, which layer compression wants. The threads are a
 * {@link ThreadPool}: started on demand, one read at a time each, reused, ref'd only
 * while reading, replaced when one dies. A read fails as readApk fails (the same code
 * and message), or with an IO error naming the package if its thread died or the pool
 * was closed.
 */
export class ApkReaderPool {
  readonly #threads: ThreadPool<ApkReadRequest, ApkReadReply>;
  readonly #readWhileStarting: boolean;
  /** readWhileStarting: reads waiting for the calling thread, or for the first reader thread to be up. */
  readonly #waiting: Waiting[] = [];
  #readingHere = false;
  #closed = false;

  constructor(options: ApkReaderPoolOptions = {}) {
    this.#threads = new ThreadPool({
      url: options.workerUrl ?? new URL('./apk-reader-thread.ts', import.meta.url),
      name: 'APK reader',
      ...(options.size !== undefined && { size: options.size }),
      // a read waits for the first free thread rather than behind another read on a busy one
      depth: 1,
      lostMessage: (request, loss) =>
        loss.kind === 'closed' ? closedMessage(request.path) : `package ${request.path}: the APK reader thread ${loss.how} before it finished reading the package`,
    });
    this.#readWhileStarting = options.readWhileStarting === true;
  }

  /** {@link readApk} on a reader thread: the same result, the same errors (code and message). */
  async read(path: string, options: ReadApkOptions): Promise<DecodedApk> {
    return (await this.readThen(path, options)).apk;
  }

  /** {@link read}, then `afterRead` on the package in the same thread (see AfterReadStep). */
  readThen(path: string, options: ReadApkOptions, afterRead?: AfterReadStep): Promise<ApkRead> {
    const request = readRequest(path, options, afterRead);
    if (this.#readWhileStarting && !this.#closed && !this.#threads.anyReady) return this.#readHere(request);
    return this.#onThread(request);
  }

  /**
   * Starts every thread now rather than on the first read: a thread takes ~150 ms to
   * start, which a caller can overlap with its own work before it reads packages.
   */
  warm(): void {
    this.#threads.warm();
  }

  /** Stops every thread; reads still waiting or running on a thread fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) job.reject(new KilnError('IO', closedMessage(job.request.path)));
    await this.#threads.close();
  }

  async #onThread(request: ApkReadRequest): Promise<ApkRead> {
    const reply = await this.#threads.run(request);
    return { apk: unpackApk(reply.apk), after: reply.after };
  }

  #readHere(request: ApkReadRequest): Promise<ApkRead> {
    const read = new Promise<ApkRead>((resolve, reject) => this.#waiting.push({ request, resolve, reject }));
    if (!this.#readingHere) void this.#readWaitingHere();
    return read;
  }

  /** Reads the waiting packages here, one at a time, until a reader thread is up; that thread gets the rest. */
  async #readWaitingHere(): Promise<void> {
    this.#readingHere = true;
    void this.#threads.ready().then(
      () => this.#handOver(),
      () => undefined, // closed: close() failed the waiting reads
    );
    while (!this.#closed && !this.#threads.anyReady) {
      const job = this.#waiting.shift();
      if (job === undefined) break;
      await readHere(job.request).then(job.resolve, job.reject);
    }
    this.#readingHere = false;
    this.#handOver();
  }

  #handOver(): void {
    for (const job of this.#waiting.splice(0)) this.#onThread(job.request).then(job.resolve, job.reject);
  }
}

async function readHere(request: ApkReadRequest): Promise<ApkRead> {
  const apk = await readApk(request.path, readOptionsOf(request));
  return { apk, after: request.afterRead === undefined ? undefined : (await runAfterRead(apk, request.afterRead)).result };
}

function closedMessage(path: string): string {
  return `package ${path}: the APK reader pool was closed before the package was read`;
}

let shared: ApkReaderPool | undefined;

function sharedPool(): ApkReaderPool {
  // a one-shot `kiln image build` would otherwise wait ~150 ms for its first thread
  shared ??= new ApkReaderPool({ readWhileStarting: true });
  return shared;
}

/**
 * {@link readApk} on a reader thread of the process's one pool (created on first use and
 * kept, so `kiln serve` reuses its threads from build to build); until the first thread
 * is up, on the calling thread.
 */
export function readApkInWorker(path: string, options: ReadApkOptions): Promise<DecodedApk> {
  return sharedPool().read(path, options);
}

/** {@link readApkInWorker}, then `afterRead` on the package in the same thread. */
export function readApkInWorkerThen(path: string, options: ReadApkOptions, afterRead: AfterReadStep): Promise<ApkRead> {
  return sharedPool().readThen(path, options, afterRead);
}

/** Starts the shared pool's threads ahead of the first read (e.g. as an image build begins). */
export function warmApkReaders(): void {
  sharedPool().warm();
}
