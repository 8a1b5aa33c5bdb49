import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { redactUrl } from './redact-url.ts';

export type GitOptions = {
  /**
   * Transports a recipe's repository may use (GIT_ALLOW_PROTOCOL). Default https only:
   * the commit is pinned anyway, and other transports need credentials or run
   * programs (`ext::`). Tests add `file`.
   */
  readonly allowedProtocols?: readonly string[];
  /** per git command (default 10 minutes) */
  readonly timeoutMs?: number;
};

export type GitRun = { readonly stdout: string; readonly stderr: string };

/**
 * Runs git outside the sandbox with nothing from the host's configuration: no
 * system or global config (so no credential helpers, url rewrites or hooks paths), no
 * terminal prompts, no askpass, an empty HOME, the C locale, and only the allowed
 * transports. Fails with GIT_FAILED quoting git's stderr (URLs redacted).
 */
export async function runGit(args: readonly string[], options: GitOptions & { readonly cwd?: string; readonly protocols: readonly string[] }): Promise<GitRun> {
  const home = await mkdtemp(join(tmpdir(), 'kiln-git-home-'));
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      LC_ALL: 'C',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: '/bin/false',
      SSH_ASKPASS: '/bin/false',
      GIT_ALLOW_PROTOCOL: options.protocols.join(':'),
      GIT_AUTHOR_DATE: '@0 +0000',
      GIT_COMMITTER_DATE: '@0 +0000',
    };
    // command-line config wins over any repository's own config
    const fixed = [
      ...['-c', 'credential.helper=', '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'],
      ...['-c', 'advice.detachedHead=false', '-c', 'maintenance.auto=false', '-c', 'gc.auto=0'],
    ];
    return await new Promise<GitRun>((resolve, reject) => {
      const child = spawn('git', [...fixed, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 600_000 });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 16_384) stderr += d;
      });
      child.on('error', (e) => reject(new KilnError('GIT_FAILED', `cannot run git: ${e.message}`, { cause: e })));
      child.on('close', (code, signal) => {
        if (code === 0) resolve({ stdout, stderr });
        else {
          const shown = args.map((a) => (a.includes('://') ? redactUrl(a) : a)).join(' ');
          const why = redactText(stderr.trim()) || (signal ? `killed by ${signal}` : `exit ${code}`);
          reject(new KilnError('GIT_FAILED', `git ${shown}: ${why}`));
        }
      });
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Masks user info in any URL git quotes back. */
function redactText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi, '$1REDACTED@');
}
