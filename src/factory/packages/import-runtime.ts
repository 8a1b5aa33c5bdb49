import { join } from 'node:path';
import { AptArchive, debianArchOf, debianToApkVersion, importDebs, parseDebRequest, type DebImportResult, type DebRequest, type SourceCache } from '../../build/index.ts';
import type { LoadedSigningKey } from '../../build/index.ts';
import type { PackageStageResult } from './package-stage-result.ts';
import type { IndexRead } from './read-repository-index.ts';
import { describeError } from '../../errors/index.ts';

/**
 * `packages.import-deb`: each Debian package (and, as with `--with-deps`, what it
 * depends on) as signed APKs in the repository. A name the index already has (at the
 * requested version, when one is given) is `present` and apt is not even asked, so a
 * warm start needs no network; an import is only refreshed by naming a new version.
 */
export async function importRuntime(options: {
  readonly requests: readonly string[];
  readonly index: IndexRead;
  readonly repo: string;
  readonly arch: string;
  readonly key: LoadedSigningKey;
  readonly stateDir: string;
  readonly cache: SourceCache;
  readonly log: (line: string) => void;
}): Promise<PackageStageResult[]> {
  const out: PackageStageResult[] = [];
  const missing: { text: string; request: DebRequest }[] = [];
  for (const text of options.requests) {
    const request = parseDebRequest(text);
    if (options.index.error !== undefined) {
      out.push({ kind: 'import-deb', name: text, status: 'failed', reason: options.index.error });
      continue;
    }
    const want = request.version === undefined ? undefined : String(debianToApkVersion(request.version));
    const entry = options.index.entries.find((e) => e.name === request.name && (want === undefined || String(e.version) === want));
    if (entry !== undefined) out.push({ kind: 'import-deb', name: text, version: String(entry.version), status: 'present', reason: `${entry.name}-${entry.version} is in ${options.repo}` });
    else missing.push({ text, request });
  }
  if (missing.length === 0) return out;

  options.log(`package: importing ${missing.map((m) => m.text).join(', ')} from the Debian archive, with their dependencies`);
  const debianArch = debianArchOf(options.arch);
  let results: readonly DebImportResult[];
  try {
    const source = new AptArchive({ dir: join(options.stateDir, 'deb-import', 'apt', debianArch), arch: debianArch, log: (l) => options.log(`package: apt: ${l}`) });
    await source.ensureLists(false);
    results = await importDebs({
      requests: missing.map((m) => m.request),
      source,
      repo: options.repo,
      arch: options.arch,
      key: options.key,
      cache: options.cache,
      withDeps: true,
      maxPackages: 100,
      log: (l) => options.log(`package: ${l}`),
    });
  } catch (e) {
    for (const m of missing) out.push({ kind: 'import-deb', name: m.text, status: 'failed', reason: describeError(e) });
    return out;
  }
  for (const m of missing) out.push(resultOf(m.text, m.request.name, results));
  return out;
}

/** One requested import's result, its dependencies folded in (a dependency that failed fails it). */
function resultOf(text: string, name: string, results: readonly DebImportResult[]): PackageStageResult {
  const own = results.find((r) => r.name === name && r.requiredBy === undefined);
  const deps = results.filter((r) => r.requiredBy !== undefined && closureOf(name, results).has(r.name));
  const failedDeps = deps.filter((d) => d.status === 'failed');
  const packages = [own, ...deps].filter((r) => r?.status === 'imported').map((r) => `${r?.name ?? ''}-${String(r?.version ?? '')}`);
  const version = own?.version === undefined ? undefined : String(own.version);
  if (own === undefined) return { kind: 'import-deb', name: text, status: 'failed', reason: 'the import gave no result for it' };
  if (own.status === 'failed') return { kind: 'import-deb', name: text, status: 'failed', reason: `${own.code ?? 'DEB_FETCH_FAILED'}: ${own.reason}` };
  if (failedDeps.length > 0) {
    return { kind: 'import-deb', name: text, status: 'failed', reason: `dependencies failed: ${failedDeps.map((d) => `${d.name} (${d.reason})`).join('; ')}`, ...(version !== undefined && { version }) };
  }
  if (own.status === 'skipped' && packages.length === 0) return { kind: 'import-deb', name: text, status: 'present', reason: own.reason, ...(version !== undefined && { version }) };
  return { kind: 'import-deb', name: text, status: 'built', reason: `imported from Debian ${own.debianVersion ?? ''}: ${packages.join(', ') || own.reason}`, packages, ...(version !== undefined && { version }) };
}

/** Names that entered the import because of `root`, following `requiredBy` links. */
function closureOf(root: string, results: readonly DebImportResult[]): Set<string> {
  const seen = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of results) {
      if (r.requiredBy !== undefined && seen.has(r.requiredBy) && !seen.has(r.name)) {
        seen.add(r.name);
        grew = true;
      }
    }
  }
  return seen;
}
