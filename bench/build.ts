import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  debianProvider,
  ensureEnvironment,
  extractArchive,
  resolveDebianArchive,
  runInSandbox,
  SourceCache,
  type SandboxResult,
} from '../src/build/index.ts';
import type { Digest } from '../src/oci/index.ts';
import { fmt, median, publish, timed, type Table } from './report.ts';

/** Machines running other work are noisy: more runs (KILN_BENCH_RUNS) and the min column help. */
const RUNS = Math.max(1, Number(process.env['KILN_BENCH_RUNS'] ?? 3) || 3);
/** GNU hello 2.10's upstream tarball, as Debian keeps it (hello_2.10.orig.tar.gz). */
const HELLO: Digest = 'sha256:31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b' as Digest;
const SCRIPT = './configure --disable-nls >/dev/null && make -j"$(nproc)" >/dev/null';

/**
 * The cost of building inside kiln's sandbox: the same `./configure && make` of GNU hello
 * 2.10, from the same tarball, with the same build environment (Debian build-essential, the
 * test suite's cached one), three ways in one run, alternating:
 * (a) bare: `chroot` into a hard-linked copy of the environment, no namespaces or limits;
 * (b) host: the host's own toolchain, straight in a directory (for reference);
 * (c) kiln: runInSandbox (bubblewrap: user/pid/net/ipc/uts namespaces, read-only root,
 *     tmpfs /tmp, prlimit, log streaming).
 * Goal: (c)/(a) ≤ 1.10.
 */
export async function benchBuild(): Promise<void> {
  const state = process.env['KILN_BENCH_STATE'] ?? '/var/cache/kiln-bench/state';
  const cache = SourceCache.forState(state);
  if (!(await cache.has(HELLO))) {
    process.stdout.write(`  seeding hello 2.10 from Debian into ${state}\n`);
    await run('bash', [join(import.meta.dirname, '..', 'scripts', 'seed-sources-from-debian.sh'), '--state', state, '--keys-dir', join(state, 'keys-upstream'), 'hello']);
  }
  const tarball = cache.path(HELLO);
  const env = await ensureEnvironment({
    cacheDir: process.env['KILN_ENV_CACHE'] ?? '/var/cache/kiln-test/environments',
    provider: debianProvider(await resolveDebianArchive({})),
    packages: ['build-essential'],
  });
  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-build-'));
  const bare: number[] = [];
  const host: number[] = [];
  const kiln: number[] = [];
  try {
    const chrootRoot = join(work, 'chroot');
    await run('cp', ['-a', '-l', '--', env.rootfs, chrootRoot]);
    for (let i = 0; i < RUNS; i++) {
      // (a) chroot into the same environment
      const inChroot = join(chrootRoot, 'home', 'build');
      await rm(inChroot, { recursive: true, force: true });
      await mkdir(inChroot, { recursive: true });
      await extractArchive(tarball, inChroot, { stripComponents: 1 });
      bare.push(await timed(() => run('chroot', [chrootRoot, '/bin/sh', '-c', `cd /home/build && ${SCRIPT}`], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/home/build' })));

      // (b) the host's toolchain
      const onHost = join(work, `host-${i}`);
      await mkdir(onHost);
      await extractArchive(tarball, onHost, { stripComponents: 1 });
      host.push(await timed(() => run('sh', ['-c', SCRIPT], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: onHost }, onHost)));

      // (c) kiln's sandbox
      const ws = join(work, `sandbox-${i}`);
      await mkdir(ws);
      await extractArchive(tarball, ws, { stripComponents: 1 });
      let result: SandboxResult | undefined;
      kiln.push(
        await timed(async () => {
          result = await runInSandbox({ rootfs: env.rootfs, workspace: ws, script: SCRIPT, sourceDateEpoch: 0, log: { path: join(work, `sandbox-${i}.log`) } });
        }),
      );
      if (result?.exitCode !== 0) throw new Error(`sandboxed build failed (exit ${String(result?.exitCode)}); see ${join(work, `sandbox-${i}.log`)}`);
      process.stdout.write(`  run ${i + 1}/${RUNS}: chroot ${fmt.ms(bare[i] ?? NaN)} ms, host ${fmt.ms(host[i] ?? NaN)} ms, kiln sandbox ${fmt.ms(kiln[i] ?? NaN)} ms\n`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const [a, b, c] = [median(bare), median(host), median(kiln)];
  const [ma, mb, mc] = [Math.min(...bare), Math.min(...host), Math.min(...kiln)];
  const table: Table = {
    title: `build: GNU hello 2.10 ./configure && make -j (${RUNS} runs)`,
    columns: ['how', 'median ms', 'kiln ratio, medians (goal ≤ 1.10×)', 'min ms', 'kiln ratio, minimums'],
    rows: [
      ['bare: chroot into the same build environment', fmt.ms(a), fmt.ratio(c / a), fmt.ms(ma), fmt.ratio(mc / ma)],
      ['host toolchain, no chroot (reference)', fmt.ms(b), fmt.ratio(c / b), fmt.ms(mb), fmt.ratio(mc / mb)],
      ['kiln: runInSandbox (bubblewrap, network off)', fmt.ms(c), '1.00×', fmt.ms(mc), '1.00×'],
    ],
  };
  await publish('build', [table], [`environment ${env.hash.slice(0, 12)} (build-essential, Debian ${env.record.provider.identity['suite'] ?? ''}); ${RUNS} runs, alternating`]);
}

function run(cmd: string, args: readonly string[], env: Record<string, string> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'], ...(cwd && { cwd }) });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}\n${err}`))));
  });
}
