import { join } from 'node:path';
import type { Command } from 'commander';
import { AptArchive, apkRepoArch, debianArchOf, importDebs, parseDebRequest, type DebImportResult } from '../build/deb-import/index.ts';
import { ensureSigningKey } from '../build/package/index.ts';
import { SourceCache } from '../build/source/index.ts';
import { KilnError } from '../errors/index.ts';
import { action, intOption } from './run-action.ts';

type ImportOptions = {
  repo: string;
  key?: string;
  state: string;
  arch: string;
  withDeps?: boolean;
  maxPackages: string;
  refresh?: boolean;
  verbose?: boolean;
  json?: boolean;
};

const HOST_ARCH: Readonly<Record<string, string>> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7', ia32: 'x86', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/**
 * `kiln package import-deb NAME[=VERSION]...`: Debian binary packages as signed APKs, for
 * the C library and data-only packages that kiln does not build from source.
 * Added to the `kiln package` group by its owner: `registerPackageImport(packageCommand)`.
 */
export function registerPackageImport(packageCommand: Command): void {
  packageCommand
    .command('import-deb')
    .description("convert Debian binary packages from the machine's Debian archive into signed APKs (C library, data)")
    .argument('<packages...>', 'Debian packages as NAME or NAME=VERSION, e.g. libc6 tzdata libc6=2.36-9+deb12u14')
    .requiredOption('--repo <dir>', 'APK repository root; packages go to DIR/<arch>/ and its APKINDEX.tar.gz is re-signed')
    .option('--key <file>', 'RSA private key (PEM) to sign with; default: the first <state>/keys/*.rsa, generated on first use')
    .option('--state <dir>', 'state directory (apt indexes, source cache, keys)', process.env['KILN_STATE'] ?? '.kiln')
    .option('--arch <arch>', 'APK architecture (x86_64, aarch64, …)', HOST_ARCH[process.arch] ?? process.arch)
    .option('--with-deps', 'also import the Depends closure (packages already in the repository at the same version are skipped)')
    .option('--max-packages <n>', 'at most this many packages with --with-deps', '100')
    .option('--refresh', "re-download the archive's indexes even when they are less than a day old")
    .option('--verbose', "show apt's output")
    .option('--json', 'print one result per package as JSON')
    .action(
      action(async (packages: string[], opts: ImportOptions) => {
        const requests = packages.map(parseDebRequest);
        const arch = apkRepoArch(opts.arch);
        const debianArch = debianArchOf(arch);
        const maxPackages = intOption('--max-packages', opts.maxPackages, 1, 10_000);
        // one key for everything kiln publishes: the one `kiln package build` uses
        const key = await ensureSigningKey(opts.key, opts.state);
        const log = (line: string): void => {
          if (!opts.json) process.stderr.write(`${line}\n`);
        };
        if (key.generated) log(`generated signing key ${key.privatePath} (public: ${key.publicPath})`);
        const source = new AptArchive({
          dir: join(opts.state, 'deb-import', 'apt', debianArch),
          arch: debianArch,
          ...(opts.verbose ? { log: (l: string) => process.stderr.write(`  apt: ${l}\n`) } : {}),
        });
        await source.ensureLists(opts.refresh ?? false);
        const results = await importDebs({ requests, source, repo: opts.repo, arch, key, cache: SourceCache.forState(opts.state), withDeps: opts.withDeps ?? false, maxPackages, log });
        if (opts.json) process.stdout.write(`${JSON.stringify({ repo: opts.repo, arch, key: key.publicPath ?? key.keyName, results }, null, 2)}\n`);
        else process.stdout.write(formatResults(results, key.publicPath ?? key.keyName));
        const failed = results.filter((r) => r.status === 'failed');
        if (failed.length > 0) {
          // only unknown names: the input was wrong (exit 2); anything else: the work failed (exit 1)
          const code = failed.every((f) => f.code === 'PACKAGE_UNKNOWN') ? 'PACKAGE_UNKNOWN' : 'DEB_FETCH_FAILED';
          throw new KilnError(code, `${failed.length} of ${results.length} packages failed: ${failed.map((f) => f.name).join(', ')}`);
        }
      }),
    );
}

function formatResults(results: readonly DebImportResult[], publicKey: string): string {
  const lines = results.map((r) => {
    const what = r.status === 'imported' ? `${r.name} ${r.debianVersion} → ${r.version}` : `${r.name}${r.debianVersion ? ` ${r.debianVersion}` : ''}`;
    const by = r.requiredBy !== undefined ? ` (for ${r.requiredBy})` : '';
    return `${r.status.padEnd(8)} ${what}${by}: ${r.reason}`;
  });
  return `${lines.join('\n')}\nverify with the public key ${publicKey}\n`;
}
