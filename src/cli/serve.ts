import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatTimeOfDay, loadKilnConfig } from '../factory/index.ts';
import { createServeFactory, pullCommands, startKilnServer, type ServeFactory } from '../server/index.ts';
import { describeLocation, openDatabase } from '../store/index.ts';
import { resolveStateAndDatabase } from './history.ts';
import { action, parseListen } from './run-action.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run kiln: the OCI registry, the history API, and with --config the factory on its schedule')
    .option('--config <file>', 'kiln.yaml: its state:, database:, catalog: and packages:; the factory runs daily at schedules.daily (UTC), and at once on a first start')
    .option('--state <dir>', 'state directory (default $KILN_STATE or .kiln)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:5000')
    .addHelpText(
      'after',
      '\nWith --config, POST /api/v1/cycles (body optional: {"images":[...],"now":ISO,"trigger":{"kind":"urgent-fix","advisory":ID,"packages":[...]}}) queues a cycle;' +
        ' GET /api/v1/cycles/ID shows its status and results. Cycles are jobs on a queue in the database: with database: postgres://…, kiln worker processes share them.' +
        '\nStop with Ctrl-C: a running job finishes (or goes back to the queue after 30 s), requests in flight finish, then the server exits.',
    )
    .action(
      action(async (opts: { state?: string; listen: string; config?: string }) => {
        const { host, port } = parseListen(opts.listen);
        const { stateDir, databaseUrl } = await resolveStateAndDatabase(opts);
        const config = opts.config === undefined ? undefined : await loadKilnConfig(opts.config);
        // serve owns the database: cycles run in-process on it, and other kiln commands are told to use the API
        const database = await openDatabase({ url: databaseUrl, owner: 'kiln serve' });
        const log = (line: string) => void process.stdout.write(`${line}\n`);
        let factory: ServeFactory | undefined;
        let server;
        try {
          // --state wins over the config's state: the factory's keys and registry follow the server's
          factory = config && (await createServeFactory({ config: { ...config, stateDir: resolve(stateDir) }, database, clock: () => new Date(), log }));
          server = await startKilnServer({
            stateDir,
            host,
            port,
            database,
            ...(factory && { cycles: factory.cycles }),
            onApiError: (e) => process.stderr.write(`kiln serve: API error: ${String((e as Error)?.stack ?? e)}\n`),
          });
        } catch (e) {
          await factory?.stop({ timeoutMs: 0 });
          await database.close();
          throw e;
        }
        const stopped = new Promise<string>((done) => {
          process.once('SIGINT', () => done('SIGINT'));
          process.once('SIGTERM', () => done('SIGTERM'));
        });
        process.stdout.write(
          `kiln serve: listening on ${server.url} (state ${server.stateDir}, history ${describeLocation(database.location)})\n` +
            `  registry: ${server.url}/v2/ — for example:\n` +
            `    skopeo copy --dest-tls-verify=false oci:DIR:TAG docker://${server.registryHost}/NAME:TAG\n` +
            `    skopeo list-tags --tls-verify=false docker://${server.registryHost}/NAME\n` +
            `  API: ${server.url}/api/v1/ — for example: curl ${server.url}/api/v1/images\n` +
            (factory ? `  factory: daily at ${formatTimeOfDay(config?.schedules.dailyMinuteUtc ?? 0)} UTC; now: curl -X POST ${server.url}/api/v1/cycles\n` : '') +
            `  Ctrl-C to stop\n`,
        );
        try {
          const first = await factory?.attach(server.registryHost);
          const stopWaiting = new AbortController();
          if (first !== undefined && factory !== undefined) {
            process.stdout.write(`kiln serve: first start, running the catalog's cycle now (${server.url}/api/v1/cycles/${first})\n`);
            const registryHost = server.registryHost;
            void factory.cycles
              .waitFor(first, { signal: stopWaiting.signal })
              .then(async (state) => {
                const lines = await pullCommands(database, first, registryHost);
                if (lines.length > 0) process.stdout.write(`kiln serve: published; pull with:\n${lines.map((l) => `  ${l}\n`).join('')}`);
                if (state.error !== undefined) process.stdout.write(`kiln serve: the first cycle ended with errors: ${state.error}\n`);
              })
              .catch(() => undefined);
          }
          const signal = await stopped;
          stopWaiting.abort();
          process.stdout.write(`kiln serve: ${signal}, shutting down${factory ? ' (a running job finishes first, or goes back to the queue)' : ''}\n`);
        } finally {
          try {
            await factory?.stop();
            // the server first, so no request is still reading when the database closes
            await server.close();
          } finally {
            await database.close();
          }
        }
      }),
    );
}

