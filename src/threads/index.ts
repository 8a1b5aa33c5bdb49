/**
 * Worker threads for CPU-heavy jobs: a pool (main thread side) and the job loop a
 * worker entry runs. Heavy hashing and inflating leave their garbage on the worker's
 * heap, so the main thread's collector does not stall the layer pipeline.
 */
export { ThreadPool, type JobLoss, type ThreadPoolOptions } from './thread-pool.ts';
export { serveThreadJobs, type ThreadJobResult, type ThreadMessage } from './thread-jobs.ts';
export type { PackedError } from './thread-errors.ts';
export { movableBytes } from './movable-bytes.ts';
