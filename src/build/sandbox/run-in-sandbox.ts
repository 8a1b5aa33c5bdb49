import { spawn } from 'node:child_process';
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { KilnError } from '../../errors/index.ts';
import { BuildLogWriter } from './build-log-writer.ts';
import { bwrapArgs, checkSandboxPath, destdirInSandbox, type BwrapPlan } from './bwrap-args.ts';
import { LineSplitter } from './line-splitter.ts';
import { buildSandboxEnv } from './sandbox-env.ts';
import { sandboxIdentityFiles } from './sandbox-identity.ts';
import { DEFAULT_TIMEOUT_MS, SANDBOX_WORKSPACE, type LogLine, type SandboxOptions, type SandboxResult } from './sandbox-options.ts';

/** The host tools are looked up here only; the host's own PATH and environment stay out. */
const HOST_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** After a kill, how long to wait for the output pipes to close before giving up on them. */
const PIPE_GRACE_MS = 5_000;

/**
 * Runs `script` inside bubblewrap: network off, rootfs read-only, only the workspace and the
 * destdirs writable, no host environment. Streams output line by line to the log and resolves
 * with the outcome; a non-zero exit is a result, not an error (see assertSandboxSucceeded).
 * Rejects only when the sandbox could not be started or the options are invalid.
 */
export async function runInSandbox(opts: SandboxOptions): Promise<SandboxResult> {
  const plan = await planSandbox(opts);
  const identity = await sandboxIdentityFiles(plan.rootfs);
  const args = bwrapArgs({ ...plan, ...(identity ? { passwdFd: 3, groupFd: 4 } : {}) });
  const limits = opts.limits ?? {};
  const timeoutMs = positiveInt(limits.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'limits.timeoutMs');

  // rlimits are inherited through exec and namespaces, so setting them on the host process
  // that becomes bwrap limits every process in the sandbox without needing prlimit inside it
  const prlimit = ['--core=0'];
  if (limits.memoryBytes !== undefined) prlimit.push(`--as=${positiveInt(limits.memoryBytes, 'limits.memoryBytes')}`);
  if (limits.cpuSeconds !== undefined) prlimit.push(`--cpu=${positiveInt(limits.cpuSeconds, 'limits.cpuSeconds')}`);

  const log = await BuildLogWriter.open(opts.log.path, opts.log.onLine);
  const started = performance.now();
  // detached: bwrap leads its own process group, so a kill reaches it and nothing of ours
  const child = spawn('prlimit', [...prlimit, '--', 'bwrap', ...args], {
    env: { PATH: HOST_PATH },
    stdio: ['ignore', 'pipe', 'pipe', ...(identity ? (['pipe', 'pipe'] as const) : [])],
    detached: true,
  });
  if (identity) {
    for (const [fd, text] of [[3, identity.passwd], [4, identity.group]] as const) {
      const pipe = child.stdio[fd] as Writable;
      // if bwrap fails before reading them, the write gets EPIPE; its exit status says why
      pipe.on('error', () => undefined);
      pipe.end(text);
    }
  }

  let timedOut = false;
  let aborted = false;
  const kill = (): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      // bwrap runs with --die-with-parent and as the pid namespace's parent: killing it takes
      // down every process in the sandbox, however deep
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const stdout = child.stdout as Readable;
  const stderr = child.stderr as Readable;
  const streams = [stdout, stderr] as const;
  const pump = (stream: Readable, name: LogLine['stream']): void => {
    const splitter = new LineSplitter();
    const emit = (lines: readonly string[]): void => {
      let behind = false;
      for (const line of lines) behind = !log.write({ stream: name, line }) || behind;
      if (behind) {
        for (const s of streams) s.pause();
        void log.drained().then(() => {
          for (const s of streams) s.resume();
        });
      }
    };
    stream.on('data', (chunk: Buffer) => emit(splitter.push(chunk)));
    stream.on('end', () => emit(splitter.end()));
  };
  pump(stdout, 'stdout');
  pump(stderr, 'stderr');

  try {
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', (e) =>
        reject(new KilnError('SANDBOX_FAILED', `could not start the sandbox (prlimit + bwrap from ${HOST_PATH}): ${e.message}`, { cause: e })),
      );
      child.once('exit', () => {
        // a process that escaped the kill could hold the pipes open forever; it cannot (pid
        // namespace), but the build must not hang on that promise
        setTimeout(() => {
          for (const s of streams) s.destroy();
        }, PIPE_GRACE_MS).unref();
      });
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const durationMs = Math.round(performance.now() - started);
    const tail = log.tail();
    log.note(
      `exit-code=${outcome.code ?? 'none'} signal=${outcome.signal ?? 'none'} timed-out=${timedOut} aborted=${aborted} duration-ms=${durationMs}`,
    );
    await log.close();
    return { exitCode: outcome.code, signal: outcome.signal, durationMs, timedOut, aborted, logPath: log.path, logTail: tail };
  } catch (e) {
    await log.close().catch(() => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

type Plan = Omit<BwrapPlan, 'passwdFd' | 'groupFd'>;

/** Checks the options against the host and resolves them into what bwrapArgs lays out. */
async function planSandbox(opts: SandboxOptions): Promise<Plan> {
  const rootfs = await existingDir(opts.rootfs, 'rootfs');
  // the host's own root as a build environment would hand the build every host file
  if (rootfs === '/') throw new KilnError('INPUT_INVALID', 'rootfs: the host root cannot be a build environment');
  if (!(await exists(join(rootfs, 'bin/sh')))) {
    throw new KilnError('SANDBOX_FAILED', `rootfs ${rootfs} has no /bin/sh; is it a build environment?`);
  }
  const workspace = await existingDir(opts.workspace, 'workspace');
  if (workspace === '/') throw new KilnError('INPUT_INVALID', 'workspace: the host root cannot be a workspace');
  // a log the build can write to is a log the build can forge
  const logDir = await realpath(dirname(resolve(opts.log.path))).catch(() => dirname(resolve(opts.log.path)));
  for (const writable of [workspace, ...Object.values(opts.destdirs ?? {}).map((d) => resolve(d))]) {
    if (logDir === writable || logDir.startsWith(`${writable}/`)) {
      throw new KilnError('INPUT_INVALID', `log ${opts.log.path}: must not be inside ${writable}, which the build can write`);
    }
  }

  const destdirs: (readonly [string, string])[] = [];
  for (const [name, host] of Object.entries(opts.destdirs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    destdirInSandbox(name);
    await mkdir(host, { recursive: true, mode: 0o755 });
    // created here rather than by bwrap, which would make the mount point mode 0700
    await mkdir(join(workspace, 'melange-out', name), { recursive: true, mode: 0o755 });
    destdirs.push([name, await realpath(host)]);
  }

  const mounts = [];
  for (const m of opts.mounts ?? []) {
    checkSandboxPath(m.sandbox, 'mount');
    mounts.push({ host: await realpath(m.host), sandbox: m.sandbox, writable: m.writable === true });
  }

  const tmpfs = ['/tmp'];
  if (await isDir(join(rootfs, 'var/tmp'))) tmpfs.push('/var/tmp');

  return {
    rootfs,
    workspace,
    destdirs,
    mounts,
    tmpfs,
    env: buildSandboxEnv(opts),
    workdir: checkSandboxPath(opts.workdir ?? SANDBOX_WORKSPACE, 'workdir'),
    shell: opts.shell ?? '/bin/sh',
    script: opts.script,
  };
}

async function existingDir(path: string, what: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (e) {
    throw new KilnError('INPUT_INVALID', `${what} ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!(await isDir(real))) throw new KilnError('INPUT_INVALID', `${what} ${path}: expected a directory`);
  return real;
}

async function isDir(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

function positiveInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new KilnError('INPUT_INVALID', `${what}: expected a positive integer, got ${n}`);
  return n;
}
