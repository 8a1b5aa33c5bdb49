import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeImageSigningKeyFiles } from '../attest/index.ts';
import { generateSigningKeyFiles } from '../build/index.ts';
import { KilnError } from '../errors/index.ts';
import { action } from './run-action.ts';

type GenerateOptions = { kind: string; out?: string; state: string; passphraseFile?: string; json?: boolean };

/** What a generator may be given beside the directory. */
type GenerateInput = { readonly passphrase?: string };

/** What a generated key pair is, for the printed summary. */
type GeneratedKey = { readonly kind: string; readonly privatePath: string; readonly publicPath: string; readonly name: string; readonly note: string };

/**
 * One generator per `--kind`. To add a kind (e.g. `image`, for image signatures), add
 * an entry here: the command, its flags and its output format stay as they are.
 */
const KEY_KINDS: Readonly<Record<string, (dir: string, input: GenerateInput) => Promise<GeneratedKey>>> = {
  apk: async (dir, input) => {
    // apk-tools reads RSA keys without a passphrase; an encrypted one could never sign an index
    if (input.passphrase !== undefined) throw new KilnError('USAGE', '--passphrase-file: apk signing keys are not encrypted (apk-tools cannot use an encrypted key); leave it out for --kind apk');
    const key = await generateSigningKeyFiles(dir);
    return {
      kind: 'apk',
      privatePath: key.privatePath,
      publicPath: key.publicPath ?? `${key.privatePath}.pub`,
      name: key.keyName,
      note: `sign with --key ${key.privatePath}; install the public key as /etc/apk/keys/${key.keyName}`,
    };
  },
  image: async (dir, input) => {
    const key = await writeImageSigningKeyFiles(dir, input.passphrase !== undefined ? { passphrase: input.passphrase } : {});
    const pass = input.passphrase !== undefined ? ' --passphrase-file FILE' : '';
    return {
      kind: 'image',
      privatePath: key.privatePath,
      publicPath: key.publicPath,
      name: key.keyId.slice(0, 16),
      note: `sign with kiln image build --sign-key ${key.privatePath}${pass} (or kiln sign REF --key ${key.privatePath}${pass}); verify with kiln verify REF --key ${key.publicPath} or cosign verify --key ${key.publicPath}`,
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
    .option('--passphrase-file <file>', 'encrypt the private key with the passphrase in this file (--kind image)')
    .option('--state <dir>', 'state directory', process.env['KILN_STATE'] ?? '.kiln')
    .option('--json', 'print the key files as JSON')
    .action(
      action(async (opts: GenerateOptions) => {
        const generate = KEY_KINDS[opts.kind];
        if (!generate) throw new KilnError('USAGE', `--kind: expected one of ${Object.keys(KEY_KINDS).sort().join(', ')}, found ${JSON.stringify(opts.kind)}`);
        const passphrase = opts.passphraseFile !== undefined ? await readPassphrase(opts.passphraseFile) : undefined;
        const key = await generate(opts.out ?? join(opts.state, 'keys'), passphrase !== undefined ? { passphrase } : {});
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ kind: key.kind, name: key.name, private: key.privatePath, public: key.publicPath }, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${key.kind} key ${key.name}\n  private: ${key.privatePath}\n  public:  ${key.publicPath}\n  ${key.note}\n`);
      }),
    );
}

/** The passphrase file's first line (a trailing newline is not part of it, as with cosign's). */
async function readPassphrase(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new KilnError('INPUT_INVALID', `--passphrase-file ${path}: cannot read it (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase === '') throw new KilnError('INPUT_INVALID', `--passphrase-file ${path}: the file is empty; an empty passphrase would not protect the key`);
  return passphrase;
}
