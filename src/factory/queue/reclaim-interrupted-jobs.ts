import { sql } from 'kysely';
import type { KilnDatabase } from '../../store/index.ts';
import { CYCLE_QUEUE, IMAGE_QUEUE } from './job-data.ts';
import { JOB_QUEUE_SCHEMA, type JobQueue } from './job-queue.ts';

/**
 * The reconciliation at start of `kiln serve` on its embedded database: that database is
 * one process's alone (db.lock), so a job still marked active when the process starts
 * was cut off by a crash or a kill. Each is failed with that reason, which puts it back
 * in the queue while it has retries left — at once, rather than after its heartbeat
 * times out. (On PostgreSQL other processes may be running their jobs: there the
 * heartbeat decides.) The retried image job plans again against the history, so an
 * interrupted publication is redone whole: blobs, manifest, tags, then the record.
 */
export async function reclaimInterruptedJobs(queue: JobQueue, database: KilnDatabase): Promise<readonly { readonly queue: string; readonly id: string }[]> {
  if (database.location.kind === 'postgres') return [];
  const reclaimed: { queue: string; id: string }[] = [];
  for (const name of [CYCLE_QUEUE, IMAGE_QUEUE]) {
    const rows = await sql<{ id: string }>`select id::text as id from ${sql.table(`${JOB_QUEUE_SCHEMA}.job`)} where name = ${name} and state = 'active' order by id`.execute(database.db);
    const ids = rows.rows.map((r) => r.id);
    if (ids.length === 0) continue;
    await queue.boss.fail(name, ids, { message: 'kiln serve stopped while this job ran; taken up again at the next start' });
    reclaimed.push(...ids.map((id) => ({ queue: name, id })));
  }
  return reclaimed;
}
