import type { Command } from 'commander';
import { KilnError } from '../errors/index.ts';
import { loadKilnConfig, type KilnConfig } from '../factory/index.ts';
import { openFactoryNode } from '../factory/queue/index.ts';
import { describeLocation, openDatabase, parseDatabaseUrl } from '../store/index.ts';
import { action } from './run-action.ts';

type WorkerFlags = {
  readonly config: string;
  readonly database?: string;
  readonly concurrency: string;
};

/** `kiln worker`: an extra factory worker on a shared PostgreSQL. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run factory jobs from the shared job queue (kiln.yaml with database: postgres://…)')
    .option('--database <url>', 'postgres://… (default: the config’s database:)')
    .option('--config <file>', 'kiln.yaml: the catalog, publish target and keys the jobs use', 'kiln.yaml')
    .option('--concurrency <n>', 'image jobs this process runs at once', '1')
    .addHelpText(
      'after',
      `
Every kiln serve and kiln worker on one PostgreSQL database shares its job queue: each
job runs once, in whichever process takes it first; a job whose worker dies (its heartbeat
stops) is taken by another after about 10 s; the daily cycle is queued once a day however
many processes run. The embedded database (PGlite) belongs to one kiln serve, so a worker
needs PostgreSQL. Images go where the config's publish: says (with the embedded target,
into <state>/registry, which must then be the kiln serve's own state directory).

Ctrl-C stops taking jobs and lets a running one finish (or go back to the queue after 30 s).

Example:
  kiln worker --config kiln.yaml --database postgres://kiln@db.example/kiln`,
    )
    .action(action(async (flags: WorkerFlags) => runWorker(flags)));
}

async function runWorker(flags: WorkerFlags): Promise<void> {
  const concurrency = Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new KilnError('USAGE', `--concurrency: expected a whole number from 1 to 64, found ${JSON.stringify(flags.concurrency)}`);
  }
  const loaded = await loadKilnConfig(flags.config);
  const url = flags.database ?? (loaded.database.kind === 'postgres' ? loaded.database.url : undefined);
  if (url === undefined || parseDatabaseUrl(url).kind !== 'postgres') {
    throw new KilnError(
      'USAGE',
      `kiln worker needs a shared PostgreSQL database (--database postgres://… or database: in ${flags.config}); the embedded database belongs to one kiln serve`,
    );
  }
  const config: KilnConfig = { ...loaded, database: { kind: 'postgres', url } };
  const database = await openDatabase({ url, owner: 'kiln worker' });
  const log = (line: string) => void process.stdout.write(`${line}\n`);
  try {
    const node = await openFactoryNode({ config, database, clock: () => new Date(), log, concurrency });
    await node.work();
    process.stdout.write(`kiln worker: taking jobs from ${describeLocation(database.location)} (pid ${process.pid}); Ctrl-C to stop\n`);
    const signal = await new Promise<string>((done) => {
      process.once('SIGINT', () => done('SIGINT'));
      process.once('SIGTERM', () => done('SIGTERM'));
    });
    process.stdout.write(`kiln worker: ${signal}, stopping (a running job finishes first, or goes back to the queue)\n`);
    await node.stop();
  } finally {
    await database.close();
  }
}
