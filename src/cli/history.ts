import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { KilnError } from '../errors/index.ts';
import { loadKilnConfig } from '../factory/kiln-config.ts';
import { queryChangelog, queryDiff, queryTags, querySearch } from '../server/index.ts';
import { defaultDatabaseUrl, describeLocation, openDatabase, parseDatabaseUrl, type KilnDatabase } from '../store/index.ts';
import { action } from './run-action.ts';

/** Where to find kiln's state and history: the flags every database-backed command takes. */
export type DatabaseFlags = { readonly config?: string; readonly state?: string; readonly database?: string };

/**
 * State directory and database URL, most specific first: `--database`, then `--state`
 * (its `db`), then `--config`'s `state:` / `database:`, then $KILN_STATE, then `.kiln`.
 */
export async function resolveStateAndDatabase(flags: DatabaseFlags): Promise<{ readonly stateDir: string; readonly databaseUrl: string }> {
  const config = flags.config === undefined ? undefined : await loadKilnConfig(flags.config);
  const stateDir = flags.state ?? config?.stateDir ?? process.env['KILN_STATE'] ?? '.kiln';
  if (flags.database !== undefined) return { stateDir, databaseUrl: flags.database };
  if (flags.state === undefined && config !== undefined) {
    const d = config.database;
    return { stateDir, databaseUrl: d.kind === 'postgres' ? d.url : `pglite:${d.dir}` };
  }
  return { stateDir, databaseUrl: defaultDatabaseUrl(stateDir) };
}

/** Opens the history database for reading; an embedded one that does not exist yet is NOT_FOUND, not created. */
async function openHistory(flags: DatabaseFlags): Promise<KilnDatabase> {
  const { databaseUrl } = await resolveStateAndDatabase(flags);
  const location = parseDatabaseUrl(databaseUrl);
  if (location.kind === 'pglite') {
    const exists = await stat(location.dir).then((s) => s.isDirectory(), () => false);
    if (!exists) {
      throw new KilnError('NOT_FOUND', `history database ${describeLocation(location)}: does not exist (nothing published yet, or a different --state?)`);
    }
  }
  return openDatabase({ url: databaseUrl });
}

type Flags = DatabaseFlags & { readonly json?: boolean };

function historyCommand(program: Command, usage: string, description: string): Command {
  return program
    .command(usage)
    .description(description)
    .option('--json', 'print JSON (the same shape as the HTTP API)')
    .option('--config <file>', 'kiln.yaml: its state: and database: say where the history is')
    .option('--state <dir>', 'state directory; the history is <dir>/db (default $KILN_STATE or .kiln)')
    .option('--database <url>', 'postgres://…, pglite:DIR or a directory (overrides --state and --config)');
}

/**
 * `kiln tags`, `kiln changelog`, `kiln diff`, `kiln search`: reading the publication
 * history. `write` receives what they print (tests pass their own, to run in-process:
 * a fresh process pays ~1 s to start PGlite, an open one ~0.25 s).
 */
export function registerHistory(program: Command, write: (text: string) => void = (text) => void process.stdout.write(text)): void {
  async function withHistory<T>(flags: Flags, query: (db: KilnDatabase['db']) => Promise<T>, print: (result: T) => string): Promise<void> {
    const store = await openHistory(flags);
    let result: T;
    try {
      result = await query(store.db);
    } finally {
      await store.close();
    }
    write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : print(result));
  }

  historyCommand(program, 'tags <image>', 'the tags that point at a digest of IMAGE now').action(
    action(async (image: string, flags: Flags) => {
      await withHistory(flags, (db) => queryTags(db, image), formatTags);
    }),
  );
  historyCommand(program, 'changelog <image:version>', 'every digest of one image version, newest first, and what changed')
    .option('--variant <variant>', 'prod or dev (default: both)')
    .action(
      action(async (ref: string, flags: Flags & { readonly variant?: string }) => {
        const { image, version } = parseImageVersion(ref);
        await withHistory(flags, (db) => queryChangelog(db, image, version, flags.variant), formatChangelog);
      }),
    );
  historyCommand(program, 'diff <from> <to>', 'packages added, removed, upgraded or downgraded between two published digests').action(
    action(async (from: string, to: string, flags: Flags) => {
      await withHistory(flags, (db) => queryDiff(db, from, to), formatDiff);
    }),
  );
  historyCommand(program, 'search <fragment>', 'published digests starting with a hex fragment (at least 4 digits)').action(
    action(async (fragment: string, flags: Flags) => {
      await withHistory(
        flags,
        async (db) => {
          const result = await querySearch(db, fragment);
          if (result.matches.length === 0) throw new KilnError('NOT_FOUND', `no published digest starts with ${result.prefix}`);
          return result;
        },
        formatSearch,
      );
    }),
  );
}

/** `IMAGE:VERSION`; the image may hold `/` and `.`, never `:`, so the last `:` splits. */
export function parseImageVersion(ref: string): { readonly image: string; readonly version: string } {
  const i = ref.lastIndexOf(':');
  if (i <= 0 || i === ref.length - 1) {
    throw new KilnError('USAGE', `expected IMAGE:VERSION such as python:3.14.1, found ${JSON.stringify(ref.slice(0, 140))}`);
  }
  return { image: ref.slice(0, i), version: ref.slice(i + 1) };
}

// ---- readable output ----

type Row = readonly string[];

/** Left-aligned columns, two spaces apart, no trailing blanks. */
export function table(head: Row, rows: readonly Row[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: Row) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [head, ...rows].map(line).join('\n') + '\n';
}

const when = (iso: string) => iso.replace(/\.000Z$/, 'Z');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

type TagsResult = Awaited<ReturnType<typeof queryTags>>;
type ChangelogResult = Awaited<ReturnType<typeof queryChangelog>>;
type DiffResult = Awaited<ReturnType<typeof queryDiff>>;
type SearchResult = Awaited<ReturnType<typeof querySearch>>;
type Change = DiffResult['changes'][number];

function formatTags(r: TagsResult): string {
  if (r.tags.length === 0) return `${r.image}: no tags point at its digests\n`;
  return table(
    ['TAG', 'VERSION', 'VARIANT', 'UPDATED', 'DIGEST'],
    r.tags.map((t) => [`${t.repository}:${t.tag}`, t.version, t.variant, when(t.updatedAt), t.digest]),
  );
}

function changeText(c: Change): string {
  switch (c.kind) {
    case 'added':
      return `added ${c.name} ${c.to ?? ''}`;
    case 'removed':
      return `removed ${c.name} ${c.from ?? ''}`;
    case 'upgraded':
    case 'downgraded':
      return `${c.kind} ${c.name} ${c.from ?? ''} → ${c.to ?? ''}`;
  }
}

function formatChangelog(r: ChangelogResult): string {
  const out = [`${r.image}:${r.version} — ${plural(r.entries.length, 'publication')}, newest first`];
  for (const e of r.entries) {
    out.push('', `${e.timestampTag}  ${when(e.publishedAt)}  ${e.variant}  ${e.digest}`);
    out.push(`  ${e.trigger.kind}${e.reason ? `: ${e.reason}` : ''}`);
    if (e.changes.length === 0) out.push('  no package changes');
    for (const c of e.changes) out.push(`  ${changeText(c)}`);
  }
  return out.join('\n') + '\n';
}

function formatDiff(r: DiffResult): string {
  if (r.changes.length === 0) return 'no package changes\n';
  const counts = new Map<string, number>();
  for (const c of r.changes) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  return (
    table(['CHANGE', 'PACKAGE', 'FROM', 'TO'], r.changes.map((c) => [c.kind, c.name, c.from ?? '-', c.to ?? '-'])) +
    `${plural(r.changes.length, 'change')}: ${summary}\n`
  );
}

function formatSearch(r: SearchResult): string {
  return (
    table(
      ['DIGEST', 'IMAGE', 'VERSION', 'VARIANT', 'TIMESTAMP TAG'],
      r.matches.map((m) => [m.digest, m.image, m.version, m.variant, m.timestampTag]),
    ) + (r.truncated ? `(more digests start with ${r.prefix}; give more digits)\n` : '')
  );
}
