import { join } from 'node:path';
import type { Command } from 'commander';
import { generateSigningKeyFiles } from '../build/index.ts';
import { KilnError } from '../errors/index.ts';
import { action } from './run-action.ts';

type GenerateOptions = { kind: string; out?: string; state: string; json?: boolean };

/** What a generated key pair is, for the printed summary. */
type GeneratedKey = { readonly kind: string; readonly privatePath: string; readonly publicPath: string; readonly name: string; readonly note: string };

/**
 * One generator per `--kind`. To add a kind (e.g. `image`, for image signatures), add
 * an entry here: the command, its flags and its output format stay as they are.
 */
const KEY_KINDS: Readonly<Record<string, (dir: string) => Promise<GeneratedKey>>> = {
  apk: async (dir) => {
    const key = await generateSigningKeyFiles(dir);
    return {
      kind: 'apk',
      privatePath: key.privatePath,
      publicPath: key.publicPath ?? `${key.privatePath}.pub`,
      name: key.keyName,
      note: `sign with --key ${key.privatePath}; install the public key as /etc/apk/keys/${key.keyName}`,
    };
  },
};

/** `kiln keys …`: signing keys. */
export function registerKeys(program: Command): void {
  const keys = program.commands.find((c) => c.name() === 'keys') ?? program.command('keys').description('signing keys');
  keys
    .command('generate')
    .description('generate a signing key pair')
    .option('--kind <kind>', `what the key signs: ${Object.keys(KEY_KINDS).sort().join(', ')}`, 'apk')
    .option('--out <dir>', 'where to write the key files (default: <state>/keys)')
    .option('--state <dir>', 'state directory', process.env['KILN_STATE'] ?? '.kiln')
    .option('--json', 'print the key files as JSON')
    .action(
      action(async (opts: GenerateOptions) => {
        const generate = KEY_KINDS[opts.kind];
        if (!generate) throw new KilnError('USAGE', `--kind: expected one of ${Object.keys(KEY_KINDS).sort().join(', ')}, found ${JSON.stringify(opts.kind)}`);
        const key = await generate(opts.out ?? join(opts.state, 'keys'));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ kind: key.kind, name: key.name, private: key.privatePath, public: key.publicPath }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${key.kind} key ${key.name}\n  private: ${key.privatePath}\n  public:  ${key.publicPath}\n  ${key.note}\n`);
      }),
    );
}
