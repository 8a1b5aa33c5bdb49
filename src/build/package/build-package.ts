import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { apkFileName, encodeApk, type ApkFile, type ApkSigningKey, type EncodedApk } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import { recipeArch, type CompiledPackage, type ResolvedStep } from '../../recipes/index.ts';
import { debianProvider, resolveDebianArchive, type EnvironmentProvider } from '../environment/index.ts';
import { SANDBOX_UID, type LogLine, type SandboxLimits } from '../sandbox/index.ts';
import { runSourceStep, SourceCache, type SourceContext, type SourceStepResult } from '../source/index.ts';
import { mergeDependencies, scanDependencies, type ScannedPackage } from '../scan/index.ts';
import { provenanceFileName, provenanceSources, type BuildProvenance } from './build-provenance.ts';
import { collectDestdir, withParentDirectories } from './collect-destdir.ts';
import { BUILTIN_PIPELINE_DIR, KILN_VERSION } from './kiln-install.ts';
import { licenseExpression, packageInfoFor, scriptsFor } from './package-metadata.ts';
import { packageEnvironment, type PackageEnvironmentContext } from './package-environment.ts';
import { packageSbom, packageSbomPath } from './package-sbom.ts';
import { planBuild } from './plan-build.ts';
import { publishPackages, type StagedPackage } from './repo/apk-repository.ts';
import { runPackageTest, type TestablePackage } from './run-package-test.ts';
import { runSandboxSteps, type SandboxStepContext } from './run-sandbox-steps.ts';
import { gitCommitTime, newestSourceTime } from './source-date-epoch.ts';

export type BuildStage = 'plan' | 'environment' | 'source' | 'build' | 'package' | 'test' | 'publish';
export type BuildProgress = { readonly stage: BuildStage; readonly message: string };

export type PackageBuildOptions = {
  readonly recipePath: string;
  /** The repository root; packages go to `<repo>/<arch>/`. */
  readonly repo: string;
  /** `x86_64` (default), `aarch64`, or the Go spellings. */
  readonly arch?: string;
  /** kiln's state directory: sources, git mirrors, environments, logs, keys, build dirs. */
  readonly stateDir: string;
  readonly key: ApkSigningKey;
  /** More pipeline directories, searched after the recipe's own `pipelines/` and before kiln's. */
  readonly pipelineDirs?: readonly string[];
  /** Fixed SOURCE_DATE_EPOCH (flag or environment); derived from the sources when absent. */
  readonly sourceDateEpoch?: number;
  /** Default `<state>/environments`. */
  readonly environmentCacheDir?: string;
  /** Default: Debian's archive as this machine's apt sources name it. */
  readonly provider?: EnvironmentProvider;
  /** Mirrors, offline mode, download and git policy for the source stage. */
  readonly source?: Pick<SourceContext, 'mirrors' | 'offline' | 'download' | 'git'>;
  readonly limits?: SandboxLimits;
  readonly progress?: (event: BuildProgress) => void;
  /** Every line the build prints (also in the log file). */
  readonly onLine?: (line: LogLine) => void;
  readonly signal?: AbortSignal;
  /** Keep `<state>/builds/<id>` (workspace and destdirs) for debugging. */
  readonly keepBuildDir?: boolean;
};

export type BuiltPackage = {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  /** Path of the published APK. */
  readonly file: string;
  readonly size: number;
  /** sha256 of the APK file, hex. */
  readonly sha256: string;
  /** APKINDEX `C:` (Q1 + base64 SHA-1 of the control stream). */
  readonly checksum: string;
  readonly depends: readonly string[];
  readonly provides: readonly string[];
  readonly provenanceFile: string;
};

export type PackageBuildResult = {
  readonly packages: readonly BuiltPackage[];
  readonly logPath: string;
  readonly indexPath: string;
  readonly sourceDateEpoch: number;
  /** Packages whose `test:` ran and passed. */
  readonly tested: readonly string[];
  readonly sources: readonly SourceStepResult[];
};

/**
 * `kiln package build`: recipe → signed APKs in a repository.
 *
 * plan (load, compile for the arch, split out source steps) → environment (cached) →
 * source steps outside the sandbox, in recipe order, into a fresh workspace → the main
 * package's scripts in the sandbox (destdir /home/build/melange-out/<name>) → each
 * subpackage's scripts → each destdir collected into package files, an SPDX document
 * added, dependencies detected → APKs encoded in memory → every `test:` run against the
 * new packages → only then the APKs, their provenance and a re-signed APKINDEX are
 * written. Any failure before the last step leaves the repository exactly as it was.
 */
export async function buildPackage(options: PackageBuildOptions): Promise<PackageBuildResult> {
  const startedAt = new Date();
  const progress = options.progress ?? (() => undefined);
  const state = resolve(options.stateDir);
  const plan = await planBuild({ recipePath: options.recipePath, arch: options.arch ?? 'x86_64', ...(options.pipelineDirs && { extraPipelineDirs: options.pipelineDirs }) });
  const { compiled } = plan;
  const main = compiled.main;
  const packages = [main, ...compiled.subpackages];
  const arch = compiled.arch;
  const id = `${main.name}-${main.fullVersion}-${arch}`;
  await mkdir(join(state, 'logs'), { recursive: true });
  const logPath = join(state, 'logs', `${id}-${startedAt.toISOString().replace(/[:.]/g, '-')}.log`);
  await writeFile(logPath, `[kiln] building ${plan.recipeFile} (${id})\n`, { mode: 0o644 });
  const note = (line: string): void => appendFileSync(logPath, `[kiln] ${line}\n`);
  progress({ stage: 'plan', message: `${id}: ${packages.length} package(s), ${plan.mainSteps.length} main step(s); log ${logPath}` });

  const provider = options.provider ?? debianProvider(await resolveDebianArchive({}));
  // an environment for another machine would build binaries that do not match the label
  const envArch = provider.identity['arch'];
  if (envArch !== undefined && (recipeArch(envArch) ?? envArch) !== arch) {
    throw new KilnError('INPUT_INVALID', `${options.recipePath}: building for ${arch} needs a build environment for ${arch}; the ${provider.kind} provider makes ${envArch} ones (cross builds are not supported yet)`);
  }
  const envContext: PackageEnvironmentContext = {
    provider,
    cacheDir: options.environmentCacheDir ?? join(state, 'environments'),
    arch,
    recipePath: options.recipePath,
    recipeDir: plan.recipeDir,
    repo: options.repo,
    key: options.key,
    log: note,
    progress: (message) => progress({ stage: 'environment', message }),
    ...(options.signal && { signal: options.signal }),
  };
  const buildEnv = await packageEnvironment(envContext, compiled.environment, 'environment');

  await mkdir(join(state, 'builds'), { recursive: true });
  const buildDir = await mkdtemp(join(state, 'builds', `${id}-`));
  const workspace = join(buildDir, 'workspace');
  await mkdir(workspace, { mode: 0o755 });
  const destdirs = Object.fromEntries(packages.map((p) => [p.name, join(buildDir, 'out', p.name)]));
  try {
    // --- source steps (outside) interleaved with the main package's scripts (inside)
    const sources: SourceStepResult[] = [];
    const sourceCtx: SourceContext = { workspace, recipeDir: plan.recipeDir, cache: SourceCache.forState(state), gitCacheDir: join(state, 'git'), ...options.source, log: note };
    const candidates: number[] = [];
    let sourceDateEpoch = options.sourceDateEpoch;
    const ctx = (epoch: number): SandboxStepContext => ({
      rootfs: buildEnv.rootfs,
      workspace,
      destdirs,
      sourceDateEpoch: epoch,
      environment: compiled.environment.environment,
      logPath,
      ...(options.limits && { limits: options.limits }),
      ...(options.onLine && { onLine: options.onLine }),
      ...(options.signal && { signal: options.signal }),
    });
    // SOURCE_DATE_EPOCH is fixed when the first script runs, from the sources fetched so far
    const fixEpoch = (): number => {
      if (sourceDateEpoch === undefined) {
        sourceDateEpoch = candidates.length ? Math.max(...candidates) : 0;
        note(`SOURCE_DATE_EPOCH=${sourceDateEpoch} (derived from the sources)`);
      }
      return sourceDateEpoch;
    };
    const total = plan.mainSteps.filter((s) => s.kind === 'sandbox').length;
    let done = 0;
    let pending: ResolvedStep[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const steps = pending;
      pending = [];
      await runSandboxSteps(steps, ctx(fixEpoch()), `package ${main.name}`, (label) => progress({ stage: 'build', message: label }), { offset: done, total });
      done += steps.length;
    };
    for (const step of plan.mainSteps) {
      if (step.kind === 'sandbox') {
        pending.push(step.step);
        continue;
      }
      await flush();
      progress({ stage: 'source', message: `${step.uses}: ${step.where}` });
      const before = Date.now();
      const result = await runSourceStep(step.uses, step.with, sourceCtx, step.where);
      sources.push(result);
      if (sourceDateEpoch === undefined) {
        const t = result.kind === 'git-checkout' ? await gitCommitTime(join(workspace, step.with['destination'] || '.')) : result.kind === 'fetch' ? await newestSourceTime(workspace, before) : undefined;
        if (t !== undefined) candidates.push(t);
      }
    }
    await flush();
    const epoch = fixEpoch();
    for (const sub of compiled.subpackages) {
      await runSandboxSteps(sub.steps, ctx(epoch), `subpackage ${sub.name}`, (label) => progress({ stage: 'build', message: label }));
    }

    // --- package: collect, SBOM, dependencies, encode (in memory; nothing published yet)
    progress({ stage: 'package', message: `collecting ${packages.map((p) => p.name).join(', ')}` });
    const gitCommit = sources.find((s) => s.kind === 'git-checkout')?.commit;
    const fetched = sources.find((s) => s.kind === 'fetch')?.sha256;
    const commit = main.commit ?? gitCommit ?? (fetched ? fetched.slice('sha256:'.length) : undefined);
    const scanned: ScannedPackage[] = [];
    for (const p of packages) {
      const files = await collectDestdir(destdirs[p.name] ?? '', `package ${p.name}`);
      const sbom = packageSbom({
        name: p.name,
        fullVersion: p.fullVersion,
        arch,
        origin: main.name,
        license: licenseExpression(p),
        copyright: p.copyright.map((c) => c.attestation).filter((a): a is string => a !== undefined && a !== '').join('\n') || undefined,
        url: p.url,
        description: p.description,
        sources,
        sourceDateEpoch: epoch,
        toolVersion: KILN_VERSION,
        namespace: 'kiln',
      });
      const sbomFile: ApkFile = { kind: 'file', path: packageSbomPath(p.name, p.fullVersion), mode: 0o644, uid: 0, gid: 0, content: Buffer.from(sbom, 'utf8') };
      scanned.push({ name: p.name, fullVersion: p.fullVersion, files: withParentDirectories([...files.filter((f) => f.path !== sbomFile.path), sbomFile]), options: p.options });
    }
    const encoded: { pkg: CompiledPackage; apk: EncodedApk; depends: readonly string[]; provides: readonly string[]; files: readonly ApkFile[] }[] = [];
    for (const [i, p] of packages.entries()) {
      const s = scanned[i];
      if (!s) continue;
      const deps = mergeDependencies({ runtime: p.dependencies.runtime, provides: p.dependencies.provides }, scanDependencies(s, scanned));
      note(`${p.name}: depends ${deps.runtime.join(' ') || '(none)'}; provides ${deps.provides.join(' ') || '(none)'}`);
      const info = packageInfoFor(p, { arch, origin: main.name, commit, buildDate: epoch, depends: deps.runtime, provides: deps.provides, where: options.recipePath });
      const apk = await encodeApk({ info, files: s.files, scripts: scriptsFor(p), key: options.key, sourceDateEpoch: epoch });
      encoded.push({ pkg: p, apk, depends: deps.runtime, provides: deps.provides, files: s.files });
    }

    // --- tests: against the new packages, before anything is published
    const testables: TestablePackage[] = encoded.map((e) => ({ name: e.pkg.name, files: e.files, depends: e.depends, provides: e.provides }));
    const builtNames = new Set(packages.map((p) => p.name));
    const tested: string[] = [];
    for (const [i, e] of encoded.entries()) {
      const test = e.pkg.test;
      const testable = testables[i];
      if (!test || !testable) continue;
      progress({ stage: 'test', message: `testing ${e.pkg.name} (${test.steps.length} step(s))` });
      const testEnv = await packageEnvironment(envContext, test.environment, `test environment of ${e.pkg.name}`, builtNames);
      await runPackageTest(testable, testables, test.steps, {
        environmentRootfs: testEnv.rootfs,
        dir: join(buildDir, 'test'),
        sourceDateEpoch: epoch,
        environment: test.environment.environment,
        logPath,
        ...(options.limits && { limits: options.limits }),
        ...(options.onLine && { onLine: options.onLine }),
        ...(options.signal && { signal: options.signal }),
      });
      tested.push(e.pkg.name);
    }

    // --- publish: APKs + provenance, then the index
    progress({ stage: 'publish', message: `publishing to ${join(resolve(options.repo), arch)}` });
    const finishedAt = new Date();
    const staged: StagedPackage[] = [];
    const built: BuiltPackage[] = [];
    for (const e of encoded) {
      const fileName = apkFileName(e.apk.info);
      const sha256 = createHash('sha256').update(e.apk.bytes).digest('hex');
      const provenance: BuildProvenance = {
        _type: 'https://kiln.dev/package-build/v1',
        package: { name: e.pkg.name, version: e.apk.info.version, arch, origin: main.name, file: fileName, sha256, checksum: e.apk.checksum },
        recipe: { file: plan.recipeFile.split('/').pop() ?? plan.recipeFile, sha256: plan.recipeSha256, pipelineDirs: plan.pipelineDirs.map((d) => describePipelineDir(d, plan.recipeDir)) },
        sources: provenanceSources(sources),
        environment: {
          hash: buildEnv.hash,
          provider: buildEnv.record.provider,
          requested: buildEnv.record.requested,
          ...(buildEnv.record.base && { base: buildEnv.record.base }),
          packages: buildEnv.installed,
          ...(buildEnv.record.overwritten && { overwritten: buildEnv.record.overwritten }),
        },
        sandbox: { tool: 'bubblewrap', network: 'none', rootfs: 'read-only', uid: SANDBOX_UID, sourceDateEpoch: epoch, limits: options.limits ?? {} },
        builder: { id: 'kiln', version: KILN_VERSION, host: hostname() },
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
      };
      const provenanceFile = provenanceFileName(fileName);
      staged.push({ fileName, bytes: e.apk.bytes, extras: [{ fileName: provenanceFile, content: `${JSON.stringify(provenance, null, 2)}\n` }] });
      const dir = join(resolve(options.repo), arch);
      built.push({ name: e.pkg.name, version: e.apk.info.version, arch, file: join(dir, fileName), size: e.apk.bytes.byteLength, sha256, checksum: e.apk.checksum, depends: e.depends, provides: e.provides, provenanceFile: join(dir, provenanceFile) });
    }
    const published = await publishPackages(resolve(options.repo), arch, staged, options.key);
    note(`published ${built.map((b) => `${b.name}-${b.version}`).join(', ')}; index ${published.indexPath} (${published.entries} entries)`);
    return { packages: built, logPath, indexPath: published.indexPath, sourceDateEpoch: epoch, tested, sources };
  } catch (e) {
    note(`failed: ${(e as Error).message.split('\n')[0] ?? ''}`);
    throw e;
  } finally {
    if (!options.keepBuildDir) await rm(buildDir, { recursive: true, force: true });
  }
}

/** A pipeline directory as provenance names it: kiln's own, one beside the recipe, or the path given. */
function describePipelineDir(dir: string, recipeDir: string): string {
  if (dir === BUILTIN_PIPELINE_DIR) return `kiln-${KILN_VERSION}:pipelines`;
  const rel = relative(recipeDir, dir);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? `recipe:${rel}` : dir;
}
