import { appendFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ResolvedStep } from '../../recipes/index.ts';
import { assertSandboxSucceeded, runInSandbox, SANDBOX_WORKSPACE, type LogLine, type SandboxLimits } from '../sandbox/index.ts';

/** Set by the sandbox itself; a recipe's value for them is dropped (and noted in the log). */
const SANDBOX_OWNED = new Set(['HOME', 'SOURCE_DATE_EPOCH', 'LANG', 'LC_ALL', 'TZ']);

export type SandboxStepContext = {
  readonly rootfs: string;
  readonly workspace: string;
  /** Package name → host directory, mounted at /home/build/melange-out/<name>. */
  readonly destdirs: Readonly<Record<string, string>>;
  readonly sourceDateEpoch: number;
  /** The recipe's environment.environment (each step's own environment wins). */
  readonly environment: Readonly<Record<string, string>>;
  readonly limits?: SandboxLimits;
  readonly logPath: string;
  readonly onLine?: (line: LogLine) => void;
  readonly signal?: AbortSignal;
};

/**
 * Runs each step in its own sandbox (as melange runs each step as its own shell in the
 * build container): the working directory is created when missing, the script runs
 * under `sh -e`, and the first step that fails stops the build with SANDBOX_FAILED
 * naming it. Every step shares the workspace and destdirs.
 */
export async function runSandboxSteps(
  steps: readonly ResolvedStep[],
  ctx: SandboxStepContext,
  what: string,
  onStep?: (label: string) => void,
  numbering: { readonly offset: number; readonly total: number } = { offset: 0, total: steps.length },
): Promise<void> {
  for (const [i, step] of steps.entries()) {
    const label = `${what} step ${numbering.offset + i + 1}/${numbering.total}${step.name ? ` (${step.name})` : ''}`;
    onStep?.(label);
    const env: Record<string, string> = {};
    const dropped: string[] = [];
    for (const [k, v] of Object.entries({ ...ctx.environment, ...step.environment })) {
      if (SANDBOX_OWNED.has(k)) dropped.push(k);
      else env[k] = v;
    }
    await appendFile(ctx.logPath, `[kiln] ${label}${dropped.length ? `; the sandbox sets ${dropped.sort().join(', ')} itself` : ''}\n`);
    const workdir = posix.resolve(SANDBOX_WORKSPACE, step.workingDirectory ?? '.');
    const script = `[ -d ${quote(workdir)} ] || mkdir -p ${quote(workdir)}\ncd ${quote(workdir)}\n${step.runs}\n`;
    const result = await runInSandbox({
      rootfs: ctx.rootfs,
      workspace: ctx.workspace,
      destdirs: ctx.destdirs,
      script,
      env,
      sourceDateEpoch: ctx.sourceDateEpoch,
      ...(ctx.limits && { limits: ctx.limits }),
      log: { path: ctx.logPath, ...(ctx.onLine && { onLine: ctx.onLine }) },
      ...(ctx.signal && { signal: ctx.signal }),
    });
    assertSandboxSucceeded(result, label);
  }
}

/** Single-quotes a word for sh. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
