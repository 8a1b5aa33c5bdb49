import type { Command } from 'commander';
import { loadSigningKey, reindexRepository } from '../build/index.ts';
import { action } from './run-action.ts';

type IndexOptions = { key: string; json?: boolean };

/** `kiln repo …`: APK repositories. */
export function registerRepo(program: Command): void {
  const repo = program.command('repo').description('APK repositories');
  repo
    .command('index')
    .description('(re)write and sign DIR/<arch>/APKINDEX.tar.gz from the APK files present, verifying each against the key')
    .argument('<dir>', 'the repository root')
    .requiredOption('--key <file>', 'RSA private key (PEM); its public half must have signed every package')
    .option('--json', 'print the indexes written as JSON')
    .action(
      action(async (dir: string, opts: IndexOptions) => {
        const key = await loadSigningKey(opts.key);
        const written = await reindexRepository(dir, key);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ key: key.keyName, indexes: written }, null, 2)}\n`);
          return;
        }
        if (written.length === 0) process.stdout.write(`no packages under ${dir}/<arch>/; nothing written\n`);
        for (const w of written) process.stdout.write(`${w.indexPath}: ${w.packages} package(s), signed by ${key.keyName}\n`);
      }),
    );
}
