import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { KilnError } from '../../errors/index.ts';
import { aptChildEnv, aptOption as o, privateAptOptions, resolveDebianArchive, runApt } from '../environment/index.ts';
import { parseDeb822Paragraph } from './deb-control.ts';

/** A binary package's record in the archive's (signature-verified) Packages index. */
export type ArchiveRecord = {
  readonly package: string;
  readonly version: string;
  readonly architecture: string;
  readonly source?: string;
  /** Path in the archive's pool, e.g. pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb. */
  readonly filename: string;
  readonly size: number;
  readonly sha256: string;
  /** Where apt downloads it from. */
  readonly url: string;
};

export type AptArchiveOptions = {
  /** Private apt state (lists, cache): e.g. `<state>/deb-import/apt/amd64`. */
  readonly dir: string;
  /** Debian architecture to list (`amd64`, `arm64`). */
  readonly arch: string;
  /** Re-download the indexes when they are older than this (default one day). */
  readonly maxListAgeMs?: number;
  readonly log?: (line: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The machine's apt configuration directory (tests point it elsewhere). */
  readonly etcApt?: string;
};

const DAY_MS = 24 * 60 * 60 * 1000;

const RecordFields = z.object({
  package: z.string(),
  version: z.string(),
  architecture: z.string(),
  source: z.string().optional(),
  filename: z.string().regex(/^pool\/[A-Za-z0-9._+~/%-]+\.deb$/),
  size: z.string().regex(/^[0-9]{1,12}$/).transform(Number),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * The machine's Debian archive seen through a private apt state directory: apt reads the
 * host's sources (so the mirror, proxy and keyrings are whatever the host uses, and
 * kiln names no mirror of its own) but keeps its indexes in `dir`, for the architecture
 * asked for, without touching the host's lists. apt checks the InRelease signature
 * against the keyring and every index against InRelease, then checks each download
 * against its index entry; kiln re-hashes the .deb against the same entry besides.
 * With $KILN_DEBIAN_MIRROR set, that mirror replaces the host's sources (suite and
 * suite-updates, verified against Debian's archive keyring).
 */
export class AptArchive {
  readonly dir: string;
  readonly arch: string;
  readonly #opts: AptArchiveOptions;
  #ready: Promise<void> | undefined;

  constructor(opts: AptArchiveOptions) {
    this.dir = opts.dir;
    this.arch = opts.arch;
    this.#opts = opts;
  }

  /** Makes sure the indexes exist and are fresh enough (`refresh` forces an update). */
  async ensureLists(refresh = false): Promise<void> {
    this.#ready ??= this.#ensureLists(refresh);
    return this.#ready;
  }

  async #ensureLists(refresh: boolean): Promise<void> {
    const lists = join(this.dir, 'lists');
    await mkdir(join(lists, 'partial'), { recursive: true });
    await mkdir(join(this.dir, 'cache', 'archives', 'partial'), { recursive: true });
    await writeFile(join(this.dir, 'status'), '', { flag: 'a' });
    await this.#writeSources();
    const stamp = join(this.dir, 'updated');
    const age = await ageOf(stamp);
    if (!refresh && age !== undefined && age < (this.#opts.maxListAgeMs ?? DAY_MS)) return;
    this.#opts.log?.(`apt-get update (${this.arch}) into ${lists}`);
    const run = await runApt('apt-get', [...this.#aptOptions(), 'update'], { env: this.#env(), log: this.#opts.log, timeoutMs: 10 * 60_000 });
    // apt-get update exits 0 even when a source failed; "W:"/"E:" lines say so
    const failed = run.output.split('\n').filter((l) => /^(E:|W: Failed to fetch|Err:)/.test(l));
    if (run.code !== 0 || failed.length > 0) {
      throw new KilnError(
        'DEB_FETCH_FAILED',
        `apt-get update for ${this.arch} (lists in ${lists}) failed${run.code !== 0 ? ` with exit status ${run.code}` : ''}: ${failed.join(' | ').slice(0, 800) || run.output.slice(-800)}`,
      );
    }
    // apt dates the lists by the archive's Last-Modified, so kiln keeps its own stamp
    await writeFile(stamp, `${new Date().toISOString()}\n`);
  }

  /** The index record of `name` at `version` (default: apt's candidate), or PACKAGE_UNKNOWN. */
  async record(name: string, version?: string): Promise<ArchiveRecord> {
    await this.ensureLists();
    const spec = version === undefined ? name : `${name}=${version}`;
    const show = await runApt('apt-cache', [...this.#aptOptions(), 'show', '--no-all-versions', spec], { env: this.#env(), timeoutMs: 60_000, separateStderr: true });
    const stanza = show.stdout.split(/\n\s*\n/)[0] ?? '';
    if (show.code !== 0 || stanza.trim() === '') {
      const { providers, versions } = await this.#showpkg(name);
      const why =
        versions.length > 0
          ? `version ${version ?? '?'} is not in the archive's indexes, which have ${versions.join(', ')}`
          : providers.length > 0
            ? `a virtual package provided by ${providers.join(', ')}; name one of them`
            : "not in the archive's indexes";
      throw new KilnError('PACKAGE_UNKNOWN', `Debian package ${spec} (${this.arch}): ${why}${show.stderr.trim() && providers.length === 0 ? ` (apt: ${show.stderr.trim().split('\n').pop()})` : ''}`);
    }
    const parsed = RecordFields.safeParse(Object.fromEntries(parseDeb822Paragraph(stanza.trim(), `apt-cache show ${spec}`)));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new KilnError('DEB_FETCH_FAILED', `apt-cache show ${spec}: field ${String(issue?.path[0] ?? '?')}: ${issue?.message ?? 'invalid'}`);
    }
    const r = parsed.data;
    const uris = await runApt('apt-get', [...this.#aptOptions(), 'download', '--print-uris', `${r.package}=${r.version}`], { env: this.#env(), timeoutMs: 60_000, separateStderr: true });
    const line = uris.stdout.split('\n').find((l) => l.includes(` SHA256:${r.sha256}`));
    const url = /^'([^']+)'/.exec(line ?? '')?.[1];
    if (uris.code !== 0 || url === undefined) {
      throw new KilnError('DEB_FETCH_FAILED', `apt-get download --print-uris ${r.package}=${r.version}: no URI with SHA256 ${r.sha256}: ${uris.stderr.trim().slice(0, 400)}`);
    }
    return { ...r, ...(r.source !== undefined ? { source: r.source } : {}), url };
  }

  /** For messages: the versions the indexes have of `name`, and the packages providing it if virtual. */
  async #showpkg(name: string): Promise<{ versions: string[]; providers: string[] }> {
    const run = await runApt('apt-cache', [...this.#aptOptions(), 'showpkg', name], { env: this.#env(), timeoutMs: 60_000, separateStderr: true });
    // sections start with "Title:" at the line start; their items are the following lines
    const section = (title: string): string[] => {
      const lines = run.stdout.split('\n');
      const start = lines.findIndex((l) => l.startsWith(`${title}:`));
      if (start < 0) return [];
      const items: string[] = [];
      for (const line of lines.slice(start + 1)) {
        if (/^[A-Z][A-Za-z ]*:/.test(line)) break;
        const item = /^([A-Za-z0-9][A-Za-z0-9.+~:-]*) /.exec(line)?.[1];
        if (item !== undefined) items.push(item);
      }
      return items;
    };
    return { versions: [...new Set(section('Versions'))], providers: [...new Set(section('Reverse Provides'))].sort() };
  }

  /**
   * Downloads the record's .deb with `apt-get download` into a temp directory under
   * `dir`, checks its size and SHA-256 against the record and returns its bytes.
   */
  async download(record: ArchiveRecord): Promise<Buffer> {
    await this.ensureLists();
    const tmpRoot = join(this.dir, 'tmp');
    await mkdir(tmpRoot, { recursive: true });
    const tmp = await mkdtemp(join(tmpRoot, 'dl-'));
    try {
      const spec = `${record.package}=${record.version}`;
      this.#opts.log?.(`apt-get download ${spec} (${record.url})`);
      const run = await runApt('apt-get', [...this.#aptOptions(), 'download', spec], { env: this.#env(), log: this.#opts.log, timeoutMs: 30 * 60_000, cwd: tmp });
      const names = (await readdir(tmp)).filter((n) => n.endsWith('.deb'));
      if (run.code !== 0 || names.length !== 1 || names[0] === undefined) {
        throw new KilnError('DEB_FETCH_FAILED', `apt-get download ${spec} from ${record.url}: exit status ${run.code}, ${names.length} .deb files: ${run.output.slice(-600)}`);
      }
      const bytes = await readFile(join(tmp, names[0]));
      verifyDeb(bytes, record);
      return bytes;
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  #aptOptions(): string[] {
    return privateAptOptions(this.dir, [
      ...o('APT::Architecture', this.arch),
      ...o('APT::Architectures::', this.arch),
      ...(this.#sourcesOverride ? [...o('Dir::Etc::sourcelist', join(this.dir, 'sources.list')), ...o('Dir::Etc::sourceparts', join(this.dir, 'sources.list.d'))] : []),
    ]);
  }

  #sourcesOverride = false;

  async #writeSources(): Promise<void> {
    const env = this.#opts.env ?? process.env;
    const archive = await resolveDebianArchive({ arch: this.arch, env, ...(this.#opts.etcApt !== undefined ? { etcApt: this.#opts.etcApt } : {}) });
    if (archive.origin !== 'KILN_DEBIAN_MIRROR' && archive.origin !== 'explicit') return;
    this.#sourcesOverride = true;
    await mkdir(join(this.dir, 'sources.list.d'), { recursive: true });
    const keyring = '/usr/share/keyrings/debian-archive-keyring.gpg';
    const lines = [archive.suite, `${archive.suite}-updates`].map((s) => `deb [signed-by=${keyring}] ${archive.mirror} ${s} main`);
    await writeFile(join(this.dir, 'sources.list'), `${lines.join('\n')}\n`);
  }

  #env(): Record<string, string> {
    return aptChildEnv(this.#opts.env ?? process.env);
  }
}

/** Refuses bytes whose size or SHA-256 differ from the index record (DIGEST_MISMATCH / SIZE_MISMATCH). */
export function verifyDeb(bytes: Uint8Array, record: Pick<ArchiveRecord, 'sha256' | 'size' | 'url'>): void {
  if (bytes.byteLength !== record.size) {
    throw new KilnError('SIZE_MISMATCH', `${record.url}: the Packages index says ${record.size} bytes, the .deb has ${bytes.byteLength}`);
  }
  const found = createHash('sha256').update(bytes).digest('hex');
  if (found !== record.sha256) throw new KilnError('DIGEST_MISMATCH', `${record.url}: the Packages index says sha256:${record.sha256}, the .deb hashes to sha256:${found}`);
}

async function ageOf(path: string): Promise<number | undefined> {
  try {
    return Date.now() - (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}
