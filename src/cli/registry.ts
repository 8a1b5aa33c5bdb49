import { resolve } from 'node:path';
import type { Command } from 'commander';
import { collectGarbage, loadRegistryAuth, startRegistry, type GcRemoval } from '../registry/index.ts';
import { action, intOption, parseListen } from './run-action.ts';

type ServeOptions = {
  storage: string;
  listen: string;
  htpasswd?: string;
  tokenFile?: string;
  authFile?: string;
  authPull?: boolean;
  logRequests?: boolean;
  fsync: boolean;
};

type GcCliOptions = { storage: string; dryRun?: boolean; json?: boolean; uploadAge: string; blobAge: string };

/** `kiln registry serve|gc`: the embedded OCI registry on its own. */
export function registerRegistry(program: Command): void {
  const registry = program.command('registry').description('the embedded OCI registry (distribution-spec v1.1)');

  registry
    .command('serve')
    .description('serve an OCI registry from a storage directory until SIGINT or SIGTERM')
    .requiredOption('--storage <dir>', 'where blobs, manifests and uploads are kept')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:5000')
    .option('--htpasswd <file>', 'users allowed to push, as htpasswd -B lines (user:$2y$…)')
    .option('--token-file <file>', 'static bearer tokens allowed to push, one a line')
    .option('--auth-file <file>', 'YAML/JSON: { users: { name: bcrypt }, tokens: [...], anonymousPull: bool }')
    .option('--auth-pull', 'require credentials for pulls too (default: anonymous pull)')
    .option('--log-requests', 'log each request as one JSON line on stderr')
    .option('--no-fsync', 'skip fsync before blobs become visible (faster; unsafe on power loss)')
    .action(
      action(async (opts: ServeOptions) => {
        const { host, port } = parseListen(opts.listen);
        const storageDir = resolve(opts.storage);
        const auth = await loadRegistryAuth({
          ...(opts.htpasswd !== undefined && { htpasswd: opts.htpasswd }),
          ...(opts.tokenFile !== undefined && { tokenFile: opts.tokenFile }),
          ...(opts.authFile !== undefined && { authFile: opts.authFile }),
          ...(opts.authPull && { anonymousPull: false }),
        });
        const running = await startRegistry({
          storageDir,
          host,
          port,
          storageOptions: { durable: opts.fsync },
          ...(auth && { auth }),
          ...(opts.logRequests && { log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`) }),
        });
        const who = auth ? `push needs credentials${auth.anonymousPull === false ? ', pull too' : ''}` : 'no auth';
        process.stdout.write(`kiln registry listening on ${running.url} (storage ${storageDir}, ${who})\n`);
        await new Promise<void>((done) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            running.close().then(done, done);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );

  registry
    .command('gc')
    .description('remove blobs no manifest references, and stale uploads')
    .requiredOption('--storage <dir>', 'the registry storage directory')
    .option('--dry-run', 'print what would be removed, remove nothing')
    .option('--json', 'print the result as JSON')
    .option('--upload-age <hours>', 'remove uploads untouched for this many hours', '24')
    .option('--blob-age <minutes>', 'keep unreferenced blobs younger than this (pushes in flight)', '0')
    .action(
      action(async (opts: GcCliOptions) => {
        const result = await collectGarbage(resolve(opts.storage), {
          dryRun: opts.dryRun ?? false,
          uploadMaxAgeMs: intOption('--upload-age', opts.uploadAge) * 3_600_000,
          blobMinAgeMs: intOption('--blob-age', opts.blobAge) * 60_000,
        });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const verb = result.dryRun ? 'would remove' : 'removed';
        for (const r of result.removed) process.stdout.write(`${verb} ${describe(r)}\n`);
        process.stdout.write(
          `${verb} ${result.removed.filter((r) => r.kind === 'blob').length} blob(s), ` +
            `${result.removed.filter((r) => r.kind === 'upload').length} upload(s), ${result.bytesFreed} bytes; kept ${result.keptBlobs} blob(s)\n`,
        );
      }),
    );
}

function describe(r: GcRemoval): string {
  switch (r.kind) {
    case 'blob':
      return `blob ${r.digest} (${r.size} bytes)`;
    case 'upload':
      return `upload ${r.name} (${r.size} bytes, ${r.ageHours} h old)`;
    case 'link':
      return `link ${r.repository} → ${r.digest}`;
    default: {
      const never: never = r;
      return never;
    }
  }
}
