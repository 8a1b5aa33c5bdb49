import type { Command } from 'commander';
import { startKilnServer } from '../server/index.ts';
import { action, parseListen } from './run-action.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run kiln: the OCI registry, and (as they arrive) the API, console and scheduler')
    .option('--config <file>', 'kiln.yaml (not used yet: the factory configuration arrives with the catalog)')
    .option('--state <dir>', 'state directory', process.env['KILN_STATE'] ?? '.kiln')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:5000')
    .addHelpText('after', '\nStop with Ctrl-C: requests in flight finish, then the server exits.')
    .action(
      action(async (opts: { state: string; listen: string; config?: string }) => {
        const { host, port } = parseListen(opts.listen);
        const server = await startKilnServer({ stateDir: opts.state, host, port });
        process.stdout.write(
          `kiln serve: listening on ${server.url} (state ${server.stateDir})\n` +
            `  registry: ${server.url}/v2/ — for example:\n` +
            `    skopeo copy --dest-tls-verify=false oci:DIR:TAG docker://${server.registryHost}/NAME:TAG\n` +
            `    skopeo list-tags --tls-verify=false docker://${server.registryHost}/NAME\n` +
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
        await server.close();
      }),
    );
}
