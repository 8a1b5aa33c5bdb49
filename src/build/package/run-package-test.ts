import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { extractApkFiles, parseApkConstraint, type ApkFile } from '../../apk/index.ts';
import { KilnError, isKilnError } from '../../errors/index.ts';
import type { ResolvedStep } from '../../recipes/index.ts';
import { runSandboxSteps, type SandboxStepContext } from './run-sandbox-steps.ts';

/** A package of this build as the test stage sees it. */
export type TestablePackage = {
  readonly name: string;
  readonly files: readonly ApkFile[];
  readonly depends: readonly string[];
  readonly provides: readonly string[];
};

export type PackageTestOptions = Omit<SandboxStepContext, 'rootfs' | 'workspace' | 'destdirs'> & {
  /** The test environment's rootfs (left untouched). */
  readonly environmentRootfs: string;
  /** A private, empty-or-absent directory for the test root and workspace; removed afterwards. */
  readonly dir: string;
};

/**
 * Runs a package's `test:` pipeline the way melange does: in a fresh sandbox whose root
 * is the test environment with the package under test installed, plus whichever other
 * packages of this build it depends on. The root is a hard-linked copy of the
 * environment (cheap; directories are new, files are shared with the cached
 * environment and never written: package files are only ever created, never
 * overwritten, and the sandbox mounts the root read-only) with the packages extracted
 * into it.
 */
export async function runPackageTest(pkg: TestablePackage, built: readonly TestablePackage[], steps: readonly ResolvedStep[], options: PackageTestOptions): Promise<void> {
  const rootfs = join(options.dir, 'rootfs');
  const workspace = join(options.dir, 'workspace');
  await rm(options.dir, { recursive: true, force: true });
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  try {
    await copyTree(options.environmentRootfs, rootfs);
    for (const p of installSet(pkg, built)) await extractApkFiles(p.files, rootfs);
    await mkdir(workspace, { mode: 0o755 });
    try {
      await runSandboxSteps(steps, { ...options, rootfs, workspace, destdirs: {} }, `test of ${pkg.name}`);
    } catch (e) {
      // a failing test is the package's fault, not the sandbox's: its own code, same message
      if (isKilnError(e) && e.code === 'SANDBOX_FAILED') throw new KilnError('PACKAGE_TEST_FAILED', e.message, { cause: e });
      throw e;
    }
  } finally {
    await rm(options.dir, { recursive: true, force: true });
  }
}

/** The package and, transitively, every package of this build that provides something it depends on. */
function installSet(pkg: TestablePackage, built: readonly TestablePackage[]): TestablePackage[] {
  const providers = new Map<string, TestablePackage>();
  for (const p of built) {
    providers.set(p.name, p);
    for (const v of p.provides) providers.set(v.split('=')[0] ?? v, p);
  }
  const out: TestablePackage[] = [];
  const queue = [pkg];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const p = queue.shift();
    if (!p || seen.has(p.name)) continue;
    seen.add(p.name);
    out.push(p);
    for (const d of p.depends) {
      const c = parseApkConstraint(d);
      const provider = c.conflict ? undefined : providers.get(c.name);
      if (provider) queue.push(provider);
    }
  }
  return out;
}

/** `cp -a -l`: a copy of the directory tree whose files are hard links to the originals. */
function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', ['-a', '-l', '--', from, to], { env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', (e) => reject(new KilnError('IO', `copying the test environment ${from}: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new KilnError('IO', `copying the test environment ${from} to ${to}: cp exited ${code}: ${err.trim().slice(0, 500)}`))));
  });
}
