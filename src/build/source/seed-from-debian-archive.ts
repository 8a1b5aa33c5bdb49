import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, KilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { aptChildEnv, aptOption, privateAptOptions, runApt, type AptRun } from '../environment/index.ts';
import { debSrcEntries } from './debian-source-entries.ts';
import type { SourceCache } from './source-cache.ts';

/** One upstream archive wanted from Debian's source package of the same release. */
export type DebianSourceRequest = {
  /** Debian's source package name (`hello`), optionally `=VERSION` (Debian's, e.g. `2.10-3`). */
  readonly package: string;
  /** The recipe's pins: a Debian `.orig` file is kept only when its sha256 is one of them. */
  readonly expectedSha256: readonly Digest[];
};

/** One result per request: `seeded` (now in the cache), `absent` (Debian has no such file) or `failed`. */
export type DebianSourceResult = {
  readonly package: string;
  readonly status: 'seeded' | 'absent' | 'failed';
  readonly reason: string;
  /** What went into the cache: the archive and, when Debian keeps it, its upstream signature. */
  readonly added?: readonly { readonly name: string; readonly sha256: Digest; readonly signature?: Digest }[];
};

export type SeedFromDebianOptions = {
  readonly cache: SourceCache;
  /** apt's private state (lists, cache): e.g. `<state>/debian-sources`. Never the host's. */
  readonly dir: string;
  readonly requests: readonly DebianSourceRequest[];
  /** Re-download the Sources indexes when older than this (default one day). */
  readonly maxListAgeMs?: number;
  readonly etcApt?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
};

const DAY_MS = 24 * 60 * 60 * 1000;
/** A line of `apt-get source --print-uris`: `'URI' NAME SIZE SHA256:HEX`. */
const URI_LINE = /^'([^']+)' (\S+) ([0-9]+) SHA256:([0-9a-f]{64})$/;

/**
 * Debian keeps most upstream releases as pristine `.orig` tarballs, with the upstream
 * `.asc` signature where upstream signs. This gets them with apt (the TypeScript form of
 * scripts/seed-sources-from-debian.sh): deb-src entries derived from the machine's own
 * apt sources ({@link debSrcEntries}) in a private sources/lists/cache directory, so
 * the host's apt state is untouched; apt verifies the Sources index against the archive
 * keyring and every file against the index. A file enters the source cache only when
 * the index's sha256 is one the recipe pins, and `SourceCache.add` checks that again
 * on the bytes; the signature is recorded beside it, so the fetch step's own
 * signature check (pinned keys) still decides whether the build may use it.
 */
export async function seedFromDebianArchive(options: SeedFromDebianOptions): Promise<DebianSourceResult[]> {
  const log = options.log ?? (() => undefined);
  const dir = options.dir;
  const parts = join(dir, 'sources.list.d');
  await rm(parts, { recursive: true, force: true });
  await mkdir(parts, { recursive: true });
  await mkdir(join(dir, 'lists', 'partial'), { recursive: true });
  await mkdir(join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  await writeFile(join(dir, 'status'), '', { flag: 'a' });
  const entries = await debSrcEntries({ ...(options.etcApt !== undefined && { etcApt: options.etcApt }), ...(options.env !== undefined && { env: options.env }) });
  if (entries.length === 0) {
    const reason = `no deb entries in ${options.etcApt ?? '/etc/apt'} to derive deb-src entries from`;
    return options.requests.map((r) => ({ package: r.package, status: 'failed', reason }));
  }
  for (const f of entries) await writeFile(join(parts, f.name), f.text);
  const apt = aptRunner(dir, options.env ?? process.env);

  const stamp = join(dir, 'updated');
  const age = await stat(stamp).then((s) => Date.now() - s.mtimeMs, () => undefined);
  if (age === undefined || age >= (options.maxListAgeMs ?? DAY_MS)) {
    log(`debian-archive: apt-get update (deb-src ${entries.map((e) => e.name).join(', ')}) into ${join(dir, 'lists')}`);
    const run = await apt(['update'], dir);
    const problems = run.output.split('\n').filter((l) => /^(E:|W: Failed to fetch|Err:)/.test(l));
    // a third-party archive without Sources must not stop Debian's own
    if (problems.length > 0) log(`debian-archive: apt-get update reported: ${problems.join(' | ').slice(0, 600)}`);
    if (run.code !== 0 && !(await hasSourcesIndex(join(dir, 'lists')))) {
      const reason = `apt-get update (deb-src) failed with exit status ${String(run.code)}: ${problems.join(' | ').slice(0, 600) || run.output.slice(-600)}`;
      return options.requests.map((r) => ({ package: r.package, status: 'failed', reason }));
    }
    await writeFile(stamp, `${new Date().toISOString()}\n`);
  }

  const results: DebianSourceResult[] = [];
  for (const request of options.requests) {
    try {
      results.push(await seedOne(request, options.cache, dir, apt, log));
    } catch (e) {
      results.push({ package: request.package, status: 'failed', reason: describeError(e) });
    }
  }
  return results;
}

async function seedOne(request: DebianSourceRequest, cache: SourceCache, dir: string, apt: AptRunner, log: (line: string) => void): Promise<DebianSourceResult> {
  if (!/^[a-z0-9][a-z0-9+.-]+(?:=[0-9A-Za-z.+~:-]+)?$/.test(request.package)) {
    throw new KilnError('INPUT_INVALID', `${JSON.stringify(request.package)}: expected a Debian source package as NAME or NAME=VERSION`);
  }
  const tmpRoot = join(dir, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  const work = await mkdtemp(join(tmpRoot, 'src-'));
  try {
    // what the signed Sources index lists, before anything is downloaded
    const listed = await apt(['source', '--print-uris', request.package], work);
    if (listed.code !== 0) {
      const why = listed.output.split('\n').filter((l) => l.startsWith('E:')).join(' ') || listed.output.slice(-300);
      return { package: request.package, status: 'absent', reason: `the Debian archive's Sources indexes have no ${request.package}: ${why.trim()}` };
    }
    const files = listed.stdout
      .split('\n')
      .map((l) => URI_LINE.exec(l.trim()))
      .filter((m) => m !== null)
      .map((m) => ({ uri: m[1] ?? '', name: m[2] ?? '', sha256: `sha256:${m[4] ?? ''}` as Digest }));
    const wanted = files.filter((f) => request.expectedSha256.includes(f.sha256));
    if (wanted.length === 0) {
      const origs = files.filter((f) => /\.orig(-[A-Za-z0-9-]+)?\.tar\./.test(f.name) && !/\.(asc|sig)$/.test(f.name));
      const have = origs.map((f) => `${f.name} ${f.sha256}`).join(', ') || 'no .orig tarball (a native package?)';
      return { package: request.package, status: 'absent', reason: `Debian's ${request.package} has ${have}; the recipe pins ${request.expectedSha256.join(', ')}` };
    }
    log(`debian-archive: ${request.package}: apt-get source --download-only (${wanted.map((f) => f.name).join(', ')})`);
    const got = await apt(['source', '--download-only', request.package], work);
    if (got.code !== 0) throw new KilnError('SOURCE_FETCH_FAILED', `apt-get source --download-only ${request.package} exited with ${String(got.code)}: ${got.output.slice(-400)}`);
    const present = new Set(await readdir(work));
    const added: { name: string; sha256: Digest; signature?: Digest }[] = [];
    for (const f of wanted) {
      if (!present.has(f.name)) throw new KilnError('SOURCE_FETCH_FAILED', `apt-get source ${request.package} did not leave ${f.name}`);
      // add() hashes the bytes and keeps them only if they are the pinned sha256
      const entry = await cache.add(join(work, f.name), { expected: f.sha256, name: f.name, uri: f.uri, origin: f.uri });
      const sig = files.find((s) => s.name === `${f.name}.asc`);
      let signature: Digest | undefined;
      if (sig !== undefined && present.has(sig.name)) {
        const s = await cache.add(join(work, sig.name), { expected: sig.sha256, name: sig.name, uri: sig.uri, origin: sig.uri });
        await cache.annotate(entry.sha256, { signatures: [s.sha256] });
        signature = s.sha256;
      }
      added.push({ name: f.name, sha256: entry.sha256, ...(signature !== undefined && { signature }) });
    }
    const names = added.map((a) => `${a.name}${a.signature !== undefined ? ' (with its upstream signature)' : ''}`).join(', ');
    return { package: request.package, status: 'seeded', reason: `${names} from the Debian archive, sha256 as pinned`, added };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function hasSourcesIndex(lists: string): Promise<boolean> {
  return (await readdir(lists).catch(() => [] as string[])).some((n) => /_Sources(\.|$)/.test(n));
}

type AptRunner = (args: readonly string[], cwd: string) => Promise<AptRun>;

/** apt-get against the private directory: only the derived deb-src entries, nothing apt could not authenticate. */
function aptRunner(dir: string, env: Readonly<Record<string, string | undefined>>): AptRunner {
  const options = privateAptOptions(dir, [
    ...aptOption('Dir::Etc::SourceList', '/dev/null'),
    ...aptOption('Dir::Etc::SourceParts', join(dir, 'sources.list.d')),
    // as root, apt hands downloads to _apt, who cannot write kiln's private directory
    ...(process.getuid?.() === 0 ? aptOption('APT::Sandbox::User', 'root') : []),
  ]);
  const childEnv = aptChildEnv(env);
  return (args, cwd) => runApt('apt-get', [...options, ...args], { env: childEnv, cwd, timeoutMs: 20 * 60_000, failCode: 'SOURCE_FETCH_FAILED' });
}
