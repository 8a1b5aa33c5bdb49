import type { Command } from 'commander';
import { buildPackage, ensureSigningKey, explicitSourceDateEpoch, provenanceSources, type BuildProgress } from '../build/index.ts';
import type { ApkVersion } from '../apk/index.ts';
import { KilnError } from '../errors/index.ts';
import type { Trigger } from '../factory/index.ts';
import { ADVISORY_ID } from '../factory/queue/index.ts';
import { registerPackageImport } from './package-import.ts';
import { queueCycleOnServer } from './queue-cycle-on-server.ts';
import { action, intOption } from './run-action.ts';

type BuildOptions = {
  repo: string;
  key?: string;
  arch: string;
  state: string;
  pipelineDir: string[];
  sourceDateEpoch?: string;
  environments?: string;
  keepBuildDir?: boolean;
  json?: boolean;
  notify?: string;
  urgent?: string;
};

/**
 * The `kiln package` command group, shared by every file that adds a subcommand to it
 * (build here, import-deb elsewhere): whichever registers first creates it.
 */
export function packageCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'package') ?? program.command('package').description('build and import APK packages');
}

/** `kiln package build` (a recipe built from source into a signed APK repository) and `kiln package import-deb`. */
export function registerPackage(program: Command): void {
  const group = packageCommand(program);
  registerPackageImport(group);
  group
    .command('build')
    .description('build a melange-style recipe from source in the sandbox into signed APKs, test them, and publish them to a repository')
    .argument('<recipe>', 'the recipe, e.g. hello.yaml')
    .requiredOption('--repo <dir>', 'the APK repository; packages go to DIR/<arch>/ and APKINDEX.tar.gz is re-signed')
    .option('--key <file>', 'RSA private key (PEM) to sign with; default: the first <state>/keys/*.rsa, generated on first use')
    .option('--arch <arch>', 'architecture to build for', 'x86_64')
    .option('--state <dir>', 'state directory (sources, environments, logs, keys)', process.env['KILN_STATE'] ?? '.kiln')
    .option('--pipeline-dir <dir>', 'another directory of pipeline definitions (repeatable; after the recipe\'s own pipelines/, before kiln\'s)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--source-date-epoch <seconds>', 'SOURCE_DATE_EPOCH for the build (default: $SOURCE_DATE_EPOCH, else the newest file time of the sources)')
    .option('--environments <dir>', 'cache of build environments (default: $KILN_ENV_CACHE, else <state>/environments)')
    .option('--keep-build-dir', 'keep the workspace and package directories under <state>/builds for debugging')
    .option('--json', 'print the result as JSON')
    .option('--notify <url>', 'then tell this kiln serve (e.g. http://127.0.0.1:5000) that the packages changed: it queues a cycle for the images that contain them')
    .option('--urgent <advisory>', 'the build fixes this advisory (e.g. CVE-2026-1234): the cycle is an urgent one, ahead of other work (with --notify, default http://127.0.0.1:5000)')
    .action(
      action(async (recipe: string, opts: BuildOptions) => {
        if (opts.urgent !== undefined && !ADVISORY_ID.test(opts.urgent)) {
          throw new KilnError('USAGE', `--urgent: expected an advisory id such as CVE-2026-1234, found ${JSON.stringify(opts.urgent)}`);
        }
        const flag = opts.sourceDateEpoch !== undefined ? intOption('--source-date-epoch', opts.sourceDateEpoch) : undefined;
        const sourceDateEpoch = explicitSourceDateEpoch(flag, process.env['SOURCE_DATE_EPOCH']);
        const key = await ensureSigningKey(opts.key, opts.state);
        const environments = opts.environments ?? (process.env['KILN_ENV_CACHE'] || undefined);
        const say = (line: string): void => void process.stderr.write(`${line}\n`);
        if (key.generated) say(`generated signing key ${key.privatePath} (public key ${key.publicPath ?? ''}; install it as /etc/apk/keys/${key.keyName})`);
        const result = await buildPackage({
          recipePath: recipe,
          repo: opts.repo,
          arch: opts.arch,
          stateDir: opts.state,
          key,
          pipelineDirs: opts.pipelineDir,
          ...(sourceDateEpoch !== undefined && { sourceDateEpoch }),
          ...(environments !== undefined && { environmentCacheDir: environments }),
          ...(opts.keepBuildDir && { keepBuildDir: true }),
          progress: (e: BuildProgress) => say(`[${e.stage}] ${e.message}`),
        });
        const server = opts.notify ?? (opts.urgent !== undefined ? 'http://127.0.0.1:5000' : undefined);
        let cycle: string | undefined;
        if (server !== undefined) {
          const names = [...new Set(result.packages.map((p) => p.name))];
          const trigger: Trigger =
            opts.urgent !== undefined
              ? { kind: 'urgent-fix', advisory: opts.urgent, packages: names }
              : { kind: 'package-updated', packages: result.packages.map((p) => ({ name: p.name, to: p.version as ApkVersion })) };
          cycle = await queueCycleOnServer(server, trigger);
          say(`queued ${trigger.kind === 'urgent-fix' ? `an urgent cycle for ${opts.urgent}` : 'a cycle'} on ${server}: ${new URL(`/api/v1/cycles/${cycle}`, server).toString()}`);
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...result, sources: provenanceSources(result.sources), key: key.keyName, ...(cycle !== undefined && { cycle }) }, null, 2)}\n`);
          return;
        }
        const lines = [
          `built ${result.packages.length} package(s) (SOURCE_DATE_EPOCH ${result.sourceDateEpoch}; tested: ${result.tested.join(', ') || 'no test section'}):`,
          ...result.packages.map((p) => `  ${p.name}-${p.version} ${p.arch}  ${p.size} bytes  sha256:${p.sha256}  ${p.checksum}\n    ${p.file}`),
          `index: ${result.indexPath} (signed by ${key.keyName})`,
          `log: ${result.logPath}`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}
