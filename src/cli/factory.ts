import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { KilnError } from '../errors/index.ts';
import { loadKilnConfig, parseInstant, type Trigger } from '../factory/index.ts';
import { ADVISORY_ID } from '../factory/queue/index.ts';
import { runFactory, type CycleRunResult } from '../factory/run/index.ts';
import { action, EXIT_FAILED } from './run-action.ts';

type RunFlags = {
  readonly once?: boolean;
  readonly image?: readonly string[];
  readonly now?: string;
  readonly config: string;
  readonly json?: boolean;
  readonly urgent?: string;
  readonly package?: readonly string[];
};

/** `kiln factory run`: one cycle of the factory, from the command line. */
export function registerFactory(program: Command): void {
  const factory = program.command('factory').description('the factory: catalog, daily cycle, publication history');
  factory
    .command('run')
    .description('run one cycle: resolve every maintained image version, rebuild what changed, publish and record it')
    .option('--once', 'run one cycle and exit (what this command always does; the scheduler of kiln serve runs the daily ones)')
    .option('--image <name...>', 'only these images of the catalog (repeatable)')
    .option('--now <iso-time>', 'the cycle’s clock, e.g. 2026-03-01T02:00:00Z (default: now); stamps publications, tags and results')
    .option('--config <file>', 'kiln.yaml', 'kiln.yaml')
    .option('--json', 'print the results as JSON')
    .option('--urgent <advisory>', 'an urgent fix (e.g. CVE-2026-1234): only image versions containing a --package are considered')
    .option('--package <name...>', 'with --urgent: the fixed packages (repeatable)')
    .addHelpText(
      'after',
      `
For each image version of the catalog (image, line, variant) the packages are resolved
against the configuration's APK repositories within the line's constraint. A new
version, or a changed input fingerprint (a package's checksum, the configuration, kiln's
version), builds the image from exactly the resolved packages, tags it with the version,
a timestamp tag and the floating tags it takes, signs it with SBOMs and provenance, and
records it in the history. Everything else is skipped with the reason. A failed image
version is reported and the others go on; its previous digest keeps its tags.

With the embedded publish target the images go to <state>/registry (what kiln serve
serves); with publish.registry.prefix, to that registry.

Exit status: 0 when nothing failed, 1 when an image version failed, 2 on bad usage.

Examples:
  kiln factory run --once
  kiln factory run --image nginx --now 2026-03-01T02:00:00Z --json
  kiln factory run --urgent CVE-2026-1234 --package openssl`,
    )
    .action(action(async (flags: RunFlags) => runOnce(flags)));
}

async function runOnce(flags: RunFlags): Promise<void> {
  // the edge: the one place the real clock stands in for --now
  const now = flags.now !== undefined ? parseInstant(flags.now, '--now').toISOString() : new Date().toISOString();
  const config = await loadKilnConfig(flags.config);
  const trigger = triggerOf(flags);
  const run = await runFactory({
    config,
    now,
    trigger,
    ...(flags.image !== undefined && { only: flags.image }),
    ...(!flags.json && { onResult: (r: CycleRunResult) => process.stdout.write(`${formatResult(r)}\n`) }),
    onKeyGenerated: (k) => process.stderr.write(`generated the image signing key ${k.path} (public key ${k.generated?.publicPath ?? '?'}); keep it\n`),
  });
  for (const r of run.results) for (const w of r.warnings ?? []) process.stderr.write(`warning: ${r.image}: ${w}\n`);
  if (flags.json) process.stdout.write(`${JSON.stringify({ cycleId: run.cycleId, now, trigger, results: run.results }, null, 2)}\n`);
  if (run.results.some((r) => r.status === 'failed')) process.exitCode = EXIT_FAILED;
}

/** `published nginx:1.27.4 sha256:… tags: …`, `skipped nginx:1.27.3: unmaintained: superseded by 1.27.4`, … */
export function formatResult(r: CycleRunResult): string {
  switch (r.status) {
    case 'published':
      return `published ${r.image} ${r.digest ?? ''} tags: ${(r.tags ?? []).join(', ')} (${r.reason})`;
    case 'skipped':
    case 'failed':
      return `${r.status} ${r.image}: ${r.reason}`;
    default: {
      const never: never = r.status;
      return never;
    }
  }
}

function triggerOf(flags: RunFlags): Trigger {
  if (flags.urgent === undefined) {
    if (flags.package !== undefined) throw new KilnError('USAGE', '--package names the packages of an urgent fix: give --urgent ADVISORY too');
    return { kind: 'manual', by: whoami() };
  }
  if (!ADVISORY_ID.test(flags.urgent)) throw new KilnError('USAGE', `--urgent: expected an advisory id such as CVE-2026-1234, found ${JSON.stringify(flags.urgent)}`);
  if (flags.package === undefined || flags.package.length === 0) throw new KilnError('USAGE', '--urgent needs the fixed packages: --package NAME...');
  return { kind: 'urgent-fix', advisory: flags.urgent, packages: [...flags.package] };
}

function whoami(): string {
  try {
    return userInfo().username || 'cli';
  } catch {
    return process.env['USER'] ?? 'cli';
  }
}
