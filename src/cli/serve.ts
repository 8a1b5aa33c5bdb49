import type { Command } from 'commander';
import { startKilnServer } from '../server/index.ts';
import { describeLocation, openDatabase } from '../store/index.ts';
import { resolveStateAndDatabase } from './history.ts';
import { action, parseListen } from './run-action.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run kiln: the OCI registry, the history API, and (as they arrive) the console and scheduler')
    .option('--config <file>', 'kiln.yaml: its state: and database: are used (the rest arrives with the factory)')
    .option('--state <dir>', 'state directory (default $KILN_STATE or .kiln)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:5000')
    .addHelpText('after', '\nStop with Ctrl-C: requests in flight finish, then the server exits.')
    .action(
      action(async (opts: { state?: string; listen: string; config?: string }) => {
        const { host, port } = parseListen(opts.listen);
        const { stateDir, databaseUrl } = await resolveStateAndDatabase(opts);
        const database = await openDatabase({ url: databaseUrl });
        let server;
        try {
          server = await startKilnServer({
            stateDir,
            host,
            port,
            database,
            onApiError: (e) => process.stderr.write(`kiln serve: API error: ${String((e as Error)?.stack ?? e)}\n`),
          });
        } catch (e) {
          await database.close();
          throw e;
        }
        process.stdout.write(
          `kiln serve: listening on ${server.url} (state ${server.stateDir}, history ${describeLocation(database.location)})\n` +
            `  registry: ${server.url}/v2/ — for example:\n` +
            `    skopeo copy --dest-tls-verify=false oci:DIR:TAG docker://${server.registryHost}/NAME:TAG\n` +
            `    skopeo list-tags --tls-verify=false docker://${server.registryHost}/NAME\n` +
            `  API: ${server.url}/api/v1/ — for example: curl ${server.url}/api/v1/images\n` +
            `  Ctrl-C to stop\n`,
        );
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            process.stdout.write(`kiln serve: ${signal}, shutting down\n`);
            resolve();
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
        // the server first, so no request is still reading when the database closes
        try {
          await server.close();
        } finally {
          await database.close();
        }
      }),
    );
}
