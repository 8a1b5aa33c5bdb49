import type { Command } from 'commander';
import { compareApkVersions, parseApkVersion } from '../apk/index.ts';
import { action } from './run-action.ts';

const SYMBOL = { '-1': '<', '0': '=', '1': '>' } as const;

/** `kiln apk …`: APK helpers. */
export function registerApk(program: Command): void {
  const apk = program.command('apk').description('APK package helpers');
  apk
    .command('version')
    .description('compare two APK versions as apk-tools does: prints <, = or >')
    .argument('<a>', 'first version, e.g. 1.2.3-r0')
    .argument('<b>', 'second version')
    .option('--json', 'print {"a","b","result"} as JSON')
    .action(
      action((a: string, b: string, opts: { json?: boolean }) => {
        const result = SYMBOL[compareApkVersions(parseApkVersion(a, 'A'), parseApkVersion(b, 'B'))];
        process.stdout.write(opts.json ? `${JSON.stringify({ a, b, result })}\n` : `${result}\n`);
      }),
    );
}
