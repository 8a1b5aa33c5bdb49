import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { action } from './run-action.ts';

/** A host program kiln or its tests use, with the Debian package that brings it. */
type HostTool = {
  readonly command: string;
  readonly versionArgs: readonly string[];
  readonly debianPackage: string;
  readonly usedFor: string;
};

export const HOST_TOOLS: readonly HostTool[] = [
  { command: 'bwrap', versionArgs: ['--version'], debianPackage: 'bubblewrap', usedFor: 'build sandbox' },
  { command: 'runc', versionArgs: ['--version'], debianPackage: 'runc', usedFor: 'runtime tests of images' },
  { command: 'skopeo', versionArgs: ['--version'], debianPackage: 'skopeo', usedFor: 'interoperability tests' },
  { command: 'umoci', versionArgs: ['--version'], debianPackage: 'umoci', usedFor: 'unpacking images for runtime tests' },
  { command: 'docker-registry', versionArgs: ['--version'], debianPackage: 'docker-registry', usedFor: 'the reference registry in tests' },
  { command: 'mmdebstrap', versionArgs: ['--version'], debianPackage: 'mmdebstrap', usedFor: 'build environments' },
];

export type ToolStatus = { readonly tool: HostTool; readonly present: boolean; readonly version: string };

export function checkHostTools(tools: readonly HostTool[] = HOST_TOOLS): ToolStatus[] {
  return tools.map((tool) => {
    const r = spawnSync(tool.command, tool.versionArgs, { encoding: 'utf8', timeout: 10_000 });
    const present = r.error === undefined;
    const version = present ? (r.stdout || r.stderr).split('\n').find((l) => l.trim() !== '')?.trim() ?? '' : '';
    return { tool, present, version };
  });
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the host tools kiln uses and print how to install missing ones')
    .option('--json', 'print the result as JSON')
    .action(
      action((opts: { json?: boolean }) => {
        const statuses = checkHostTools();
        const missing = statuses.filter((s) => !s.present);
        const install = missing.length
          ? `apt-get install -y ${missing.map((s) => s.tool.debianPackage).join(' ')}`
          : undefined;
        if (opts.json) {
          const tools = statuses.map((s) => ({
            command: s.tool.command,
            package: s.tool.debianPackage,
            usedFor: s.tool.usedFor,
            present: s.present,
            version: s.version,
          }));
          process.stdout.write(`${JSON.stringify({ tools, install: install ?? null }, null, 2)}\n`);
        } else {
          for (const s of statuses) {
            const mark = s.present ? 'ok     ' : 'MISSING';
            process.stdout.write(`${mark} ${s.tool.command.padEnd(16)} ${s.present ? s.version : `(Debian package ${s.tool.debianPackage})`}  — ${s.tool.usedFor}\n`);
          }
          if (install) process.stdout.write(`\nTo install what is missing (as root):\n  ${install}\n  (or: bash scripts/install-system-deps.sh)\n`);
        }
        if (missing.length) process.exitCode = 1;
      }),
    );
}
