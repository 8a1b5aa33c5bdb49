import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Latencies in milliseconds → p50/p99 (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** The middle sample (the upper one of the two middles for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Wall-clock milliseconds `fn` takes. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export type Table = { readonly title: string; readonly columns: readonly string[]; readonly rows: readonly (readonly string[])[] };

export function renderTable(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [`### ${t.title}`, '', line(t.columns), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...t.rows.map(line), ''].join('\n');
}

/** Prints the table and keeps it in bench/results/NAME.md (not committed). */
export async function publish(name: string, tables: readonly Table[], notes: readonly string[] = []): Promise<void> {
  const text = [...tables.map(renderTable), ...notes.map((n) => `- ${n}`), ''].join('\n');
  process.stdout.write(`\n${text}`);
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.md`), `# bench: ${name} (${new Date().toISOString()})\n\n${text}`);
}

export const fmt = {
  ms: (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '-'),
  rate: (v: number) => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 0) : '-'),
  ratio: (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '-'),
};
