import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ApkIndexEntry } from '../../apk/index.ts';
import { buildPackage, SourceCache } from '../../build/index.ts';
import type { KilnConfig, PackagesConfig } from '../kiln-config.ts';
import { importRuntime } from './import-runtime.ts';
import type { PackageStageResult, PackageStageRun } from './package-stage-result.ts';
import { readRepositoryIndex } from './read-repository-index.ts';
import { describeError } from '../../errors/index.ts';
import { resolvePackageRepository } from './resolve-package-repository.ts';
import { listRecipeFiles, recipeTarget, type RecipeTarget } from './recipe-targets.ts';
import { seedMissingSources } from './seed-missing-sources.ts';

export type PackageStageOptions = {
  readonly config: KilnConfig & { readonly packages: PackagesConfig };
  /** APK architecture (default the host's): the repository's `<arch>/` directory and what recipes build for. */
  readonly arch?: string;
  /** `KILN_ENV_CACHE` (a build environment cache shared between state directories) is read from here. */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress, one line at a time (builds take minutes). */
  readonly log?: (line: string) => void;
  /** Told each item's result as soon as it is known. */
  readonly onResult?: (result: PackageStageResult) => void;
};

/**
 * The factory's package stage, run before each cycle: makes sure the repository holds
 * every recipe's main package at the recipe's version (built from source with the same
 * `buildPackage` call `kiln package build` makes, when missing) and every `import-deb`
 * package (imported with its dependencies, as `kiln package import-deb --with-deps`
 * does, when missing). What is already there is not touched, so a warm start costs a
 * read of the index and a parse of each recipe. One result per item; a failure (a
 * recipe that does not build, an archive that cannot be fetched) is that item's alone.
 * The signing key is `keys.apk`, else the state's (`<state>/keys/*.rsa`, generated on
 * first use), the one `kiln package build --state` picks.
 */
export async function runPackageStage(options: PackageStageOptions): Promise<PackageStageRun> {
  const { config } = options;
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const { key, ...repository } = await resolvePackageRepository(config, options.arch);
  const { dir, arch } = repository;
  if (key.generated) log(`generated the APK signing key ${key.privatePath} (public key ${key.publicPath ?? '?'})`);
  await mkdir(join(dir, arch), { recursive: true });

  const results: PackageStageResult[] = [];
  const report = (r: PackageStageResult): void => {
    results.push(r);
    options.onResult?.(r);
  };
  const shown = (file: string): string => (relative(process.cwd(), file).startsWith('..') ? file : relative(process.cwd(), file) || file);

  // plan every recipe first: the missing ones' sources are then seeded in one apt session
  const targets: RecipeTarget[] = [];
  const files = config.packages.recipesDir === undefined ? [] : await listRecipeFiles(config.packages.recipesDir);
  for (const file of files) {
    try {
      targets.push(await recipeTarget(file, arch));
    } catch (e) {
      report({ kind: 'recipe', name: shown(file), file, status: 'failed', reason: describeError(e) });
    }
  }
  let index = await readRepositoryIndex(dir, arch, key);
  const missing: RecipeTarget[] = [];
  for (const t of targets) {
    if (index.error !== undefined) report({ kind: 'recipe', name: t.name, file: t.file, version: t.fullVersion, status: 'failed', reason: index.error });
    else if (has(index.entries, t.name, t.fullVersion)) report({ kind: 'recipe', name: t.name, file: t.file, version: t.fullVersion, status: 'present', reason: `${t.name}-${t.fullVersion} is in ${dir}` });
    else missing.push(t);
  }

  const cache = SourceCache.forState(config.stateDir);
  if (missing.length > 0 && config.sources.debianArchive && !config.offline) {
    await seedMissingSources({ targets: missing, cache, dir: join(config.stateDir, 'debian-sources'), env, log });
  }
  const environmentCacheDir = env['KILN_ENV_CACHE'] || undefined;
  for (const t of missing) {
    log(`package: ${t.name}-${t.fullVersion}: building from source (${shown(t.file)})`);
    try {
      const built = await buildPackage({
        recipePath: t.file,
        repo: dir,
        arch,
        stateDir: config.stateDir,
        key,
        ...(environmentCacheDir !== undefined && { environmentCacheDir }),
        source: { mirrors: config.sourceMirrors, offline: config.offline },
        progress: (p) => log(`package: ${t.name}: [${p.stage}] ${p.message}`),
      });
      const names = built.packages.map((p) => `${p.name}-${p.version}`);
      report({ kind: 'recipe', name: t.name, file: t.file, version: t.fullVersion, status: 'built', reason: `built from source: ${names.join(', ')} (log ${built.logPath})`, packages: names });
    } catch (e) {
      report({ kind: 'recipe', name: t.name, file: t.file, version: t.fullVersion, status: 'failed', reason: describeError(e) });
    }
  }

  if (config.packages.importDeb.length > 0) {
    index = await readRepositoryIndex(dir, arch, key);
    const imports = await importRuntime({ requests: config.packages.importDeb, index, repo: dir, arch, key, stateDir: config.stateDir, cache, log });
    for (const r of imports) report(r);
  }
  return { repository, results };
}

function has(entries: readonly ApkIndexEntry[], name: string, version: string): boolean {
  return entries.some((e) => e.name === name && String(e.version) === version);
}
