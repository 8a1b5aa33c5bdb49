/**
 * The factory's job queue (pg-boss on the history database): cycles and image builds as
 * jobs that any `kiln serve` or `kiln worker` process runs, each once; a killed worker's
 * job goes back to the queue when its heartbeat stops; the daily cycle is one job a day
 * however many processes send it.
 */
export { openJobQueue, JOB_QUEUE_SCHEMA, JOB_HEARTBEAT_SECONDS, type JobQueue, type JobQueueOptions } from './job-queue.ts';
export { queuedCycleControl, type CycleControl, type CycleRequest, type CycleState, type CycleStatus } from './cycle-control.ts';
export { startFactoryWorker, type FactoryWorker, type FactoryWorkerOptions } from './factory-worker.ts';
export { startDailyTrigger, dailyCycleId, type DailyTrigger, type DailyTriggerOptions } from './daily-trigger.ts';
export { CYCLE_QUEUE, IMAGE_QUEUE, TriggerSchema, ADVISORY_ID, type CycleJobData, type ImageJobData } from './job-data.ts';
export { stableJobId } from './stable-job-id.ts';
export { reclaimInterruptedJobs } from './reclaim-interrupted-jobs.ts';
export { openFactoryNode, type FactoryNode, type FactoryNodeOptions } from './factory-node.ts';
