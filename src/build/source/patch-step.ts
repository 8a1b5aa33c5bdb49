import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { z } from 'zod';
import { KilnError } from '../../errors/index.ts';
import { digestOf, type Digest } from '../../oci/index.ts';
import { resolveRecipeFile } from './recipe-file.ts';
import type { SourceContext } from './source-context.ts';
import { parseStepInputs, uintText, wordList } from './step-inputs.ts';

/**
 * `uses: patch` inputs: melange's pipelines/patch.yaml. `patches` is a
 * whitespace-separated list of files beside the recipe; `series` names a quilt-style
 * series file there instead (one patch per line, `#` comments, an optional `-pN`
 * after a name), whose entries are relative to the series file's directory.
 */
const PatchWith = z
  .object({
    patches: wordList.optional(),
    series: z.string().min(1).optional(),
    'strip-components': uintText.default(1),
  })
  .strict()
  .refine((w) => (w.patches?.length ?? 0) > 0 || w.series !== undefined, { message: 'patches or series is required', path: ['patches'] });

export type PatchResult = {
  readonly kind: 'patch';
  readonly patches: readonly { readonly name: string; readonly sha256: Digest }[];
};

type PatchItem = { readonly name: string; readonly path: string; readonly strip: number };

/**
 * Applies patches to the workspace with GNU patch, in order. Each patch is first
 * tried with `--dry-run`, so one that does not apply changes nothing and the error
 * names the patch and the failing hunks. `--force` rather than `--batch`: a patch
 * that looks reversed is an error, never silently applied backwards; no backup or
 * reject files are left in the tree.
 */
export async function runPatch(raw: Readonly<Record<string, string>>, ctx: SourceContext, where = 'patch'): Promise<PatchResult> {
  const w = parseStepInputs(PatchWith, raw, where);
  const items: PatchItem[] = [];
  for (const name of w.patches ?? []) {
    items.push({ name, path: await resolveRecipeFile(ctx.recipeDir, name, `${where}.with.patches`), strip: w['strip-components'] });
  }
  if (w.series !== undefined) items.push(...(await readSeries(ctx.recipeDir, w.series, w['strip-components'], where)));
  const applied: { name: string; sha256: Digest }[] = [];
  for (const item of items) {
    const bytes = await readFile(item.path);
    await patchOnce(ctx.workspace, item, true, where);
    await patchOnce(ctx.workspace, item, false, where);
    ctx.log?.(`patch: applied ${item.name}`);
    applied.push({ name: item.name, sha256: digestOf(bytes) });
  }
  return { kind: 'patch', patches: applied };
}

async function readSeries(recipeDir: string, series: string, strip: number, where: string): Promise<PatchItem[]> {
  const seriesPath = await resolveRecipeFile(recipeDir, series, `${where}.with.series`);
  const seriesDir = relative(recipeDir, dirname(seriesPath)) || '.';
  const items: PatchItem[] = [];
  const lines = (await readFile(seriesPath, 'utf8')).split('\n');
  for (const [i, line] of lines.entries()) {
    const text = line.replace(/#.*/, '').trim();
    if (text === '') continue;
    const [name, ...opts] = text.split(/\s+/);
    let p = strip;
    for (const o of opts) {
      const m = /^-p([0-9]+)$/.exec(o);
      if (!m) throw new KilnError('PIPELINE_INVALID', `${series}:${i + 1}: unsupported option ${JSON.stringify(o)} (only -pN)`);
      p = Number(m[1]);
    }
    const rel = seriesDir === '.' ? name! : `${seriesDir}/${name}`;
    items.push({ name: rel, path: await resolveRecipeFile(recipeDir, rel, `${series}:${i + 1}`), strip: p });
  }
  return items;
}

function patchOnce(workspace: string, item: PatchItem, dryRun: boolean, where: string): Promise<void> {
  const args = [`-p${item.strip}`, '--force', '--no-backup-if-mismatch', '--reject-file=-', '--quoting-style=literal', '-i', item.path];
  if (dryRun) args.push('--dry-run');
  return new Promise((resolve, reject) => {
    const child = spawn('patch', args, { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' } });
    let out = '';
    const take = (d: string): void => {
      if (out.length < 64_000) out += d;
    };
    child.stdout.setEncoding('utf8').on('data', take);
    child.stderr.setEncoding('utf8').on('data', take);
    child.on('error', (e) => reject(new KilnError('PATCH_FAILED', `${where}: cannot run patch: ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      if (code === 0) return resolve();
      reject(new KilnError('PATCH_FAILED', `${where}: ${item.name} does not apply (patch -p${item.strip}): ${summarize(out)}`));
    });
  });
}

/** The lines that say what failed: which file, which hunk, what is missing. */
function summarize(output: string): string {
  const lines = output.split('\n').map((l) => l.trim());
  const useful = lines.filter((l) => /^(checking file|patching file|Hunk #\d+ FAILED|\d+ out of \d+ hunks? FAILED|can't find file|No file to patch|Reversed|.*not a regular file|.*Only garbage|.*malformed|.*Ignoring potentially dangerous)/i.test(l));
  return (useful.length > 0 ? useful : lines.filter((l) => l !== '').slice(-6)).join('; ');
}
