import { basename } from 'node:path';
import type { Command } from 'commander';
import { SourceCache, type SourceEntry } from '../build/source/index.ts';
import { KilnError } from '../errors/index.ts';
import { action } from './run-action.ts';

type AddOptions = { state: string; signature?: string; uri?: string; json?: boolean };

/** `kiln source …`: the content-addressed source cache. */
export function registerSource(program: Command): void {
  const source = program.command('source').description('the content-addressed source cache (upstream archives, signatures)');
  source
    .command('add')
    .description('add a file to the source cache and print the digests a recipe pins it by')
    .argument('<file>', 'an upstream archive, e.g. hello-2.12.tar.gz')
    .option('--state <dir>', 'state directory', process.env['KILN_STATE'] ?? '.kiln')
    .option('--signature <file>', "the archive's detached OpenPGP signature (.sig/.asc), kept for offline verification")
    .option('--uri <url>', 'the upstream URL it was published at, remembered in the record')
    .option('--json', 'print the entries as JSON')
    .action(
      action(async (file: string, opts: AddOptions) => {
        const cache = SourceCache.forState(opts.state);
        const entry = await addFile(cache, file, opts.uri);
        let signature: SourceEntry | undefined;
        if (opts.signature !== undefined) {
          signature = await addFile(cache, opts.signature, opts.uri !== undefined ? `${opts.uri}${extensionOf(opts.signature)}` : undefined);
          await cache.annotate(entry.sha256, { signatures: [signature.sha256] });
        }
        if (opts.json) {
          const show = (e: SourceEntry, name: string) => ({ name, sha256: e.sha256, sha512: e.sha512, size: e.size, path: e.path });
          const out = { source: show(entry, basename(file)), ...(signature && opts.signature && { signature: show(signature, basename(opts.signature)) }) };
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
          return;
        }
        process.stdout.write(
          `${basename(file)} (${entry.size} bytes) is in ${cache.root}\n` +
            `  expected-sha256: ${hex(entry.sha256)}\n` +
            `  expected-sha512: ${hex(entry.sha512)}\n`,
        );
        if (signature) process.stdout.write(`  signature: ${basename(opts.signature ?? '')} (${signature.sha256})\n`);
      }),
    );
}

async function addFile(cache: SourceCache, file: string, uri: string | undefined): Promise<SourceEntry> {
  try {
    return await cache.add(file, { name: basename(file), ...(uri !== undefined && { uri }) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new KilnError('INPUT_INVALID', `${file}: no such file`, { cause: e });
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new KilnError('INPUT_INVALID', `${file}: is a directory; expected a file`, { cause: e });
    throw e;
  }
}

function hex(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1);
}

function extensionOf(file: string): string {
  const m = /\.(sig|asc|sign)$/.exec(file);
  return m ? m[0] : '';
}
