import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { assembleImage, defaultGzipConcurrency, parseImageConfigYaml, type FsEntry } from '../src/assemble/index.ts';
import { OciLayout } from '../src/oci/index.ts';
import { fmt, publish, type Table } from './report.ts';

const PACKAGES = 30;
const TARGET_BYTES = 100 * 1024 * 1024;
const RUNS = 3;
const EPOCH = 1_700_000_000;

/**
 * Turning a ~100 MB root filesystem into a gzip layer, in the same run:
 * (a) the floor, `tar --sort=name | gzip -6 | sha256sum`; (b) `umoci repack` of the same
 * tree (only the repack step is timed); (c) kiln: walk the tree, write the layer, config,
 * manifest and index into an OCI layout. Median of RUNS runs each.
 */
export async function benchAssemble(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-assemble-'));
  try {
    const tree = join(work, 'rootfs');
    const { files, bytes } = await generateTree(tree);
    process.stdout.write(`  tree: ${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB in ${PACKAGES} packages\n`);
    await sh(`tar -C ${tree} --sort=name -cf - . > /dev/null`); // warm the page cache

    const floor: number[] = [];
    const umoci: number[] = [];
    const kiln: number[] = [];
    const kilnOne: number[] = [];
    let kilnSize = 0;
    let umociSize = 0;
    const floorSize = Number(await sh(`tar -C ${tree} --sort=name -cf - . | gzip -6 | wc -c`));
    for (let run = 0; run < RUNS; run++) {
      floor.push(await timed(() => sh(`tar -C ${tree} --sort=name -cf - . | gzip -6 | sha256sum > /dev/null`)));
      const repack = await umociRepack(work, tree, run);
      umoci.push(repack.ms);
      umociSize = repack.layerSize;
      const layoutDir = join(work, `kiln-${run}`);
      kiln.push(
        await timed(async () => {
          kilnSize = await kilnAssemble(tree, layoutDir);
        }),
      );
      await rm(layoutDir, { recursive: true, force: true });
      kilnOne.push(await timed(() => kilnAssemble(tree, layoutDir, 1)));
      await rm(layoutDir, { recursive: true, force: true });
    }
    const [f, u, k, k1] = [median(floor), median(umoci), median(kiln), median(kilnOne)];
    const table: Table = {
      title: `assemble: ~100 MB rootfs → gzip layer (median of ${RUNS})`,
      columns: ['tool', 'ms', 'MB/s (uncompressed)', 'compressed MB', 'kiln time ratio (<1 is faster)'],
      rows: [
        ['tar, gzip -6, sha256sum pipeline (floor)', fmt.ms(f), fmt.rate(bytes / 1e6 / (f / 1000)), mb(floorSize), fmt.ratio(k / f)],
        ['umoci repack', fmt.ms(u), fmt.rate(bytes / 1e6 / (u / 1000)), mb(umociSize), fmt.ratio(k / u)],
        ['kiln layer + config + manifest + index', fmt.ms(k), fmt.rate(bytes / 1e6 / (k / 1000)), mb(kilnSize), '1.00×'],
        ['kiln, gzip on one thread (for comparison)', fmt.ms(k1), fmt.rate(bytes / 1e6 / (k1 / 1000)), mb(kilnSize), fmt.ratio(k / k1)],
      ],
    };
    await publish('assemble', [table], [
      `tree: ${files} files, ${bytes} bytes; kiln: gzip level 6 in 1 MiB blocks on ${defaultGzipConcurrency()} threads; umoci compresses with pgzip`,
      'kiln/floor target ≤ 1.3×; the floor runs tar, gzip and sha256sum as three processes in parallel',
      'kiln times include walking the tree (lstat of every entry) and fsync of every blob',
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function kilnAssemble(tree: string, layoutDir: string, gzipConcurrency?: number): Promise<number> {
  const entries = await walk(tree);
  const layout = await OciLayout.open(layoutDir, { create: true });
  const { spec } = parseImageConfigYaml('entrypoint:\n  command: /usr/bin/app\narchs: [x86_64]\n', 'bench.yaml');
  const result = await assembleImage({
    layout, spec, sourceDateEpoch: EPOCH, tag: 'bench', rootfs: [{ arch: 'x86_64', entries }],
    ...(gzipConcurrency !== undefined && { gzipConcurrency }),
  });
  return result.images[0]?.layer.descriptor.size ?? 0;
}

async function walk(root: string): Promise<FsEntry[]> {
  const out: FsEntry[] = [];
  const names = await readdir(root, { recursive: true });
  await Promise.all(
    names.map(async (name) => {
      const full = join(root, name);
      const st = await lstat(full);
      const base = { path: relative(root, full), mode: st.mode & 0o7777, uid: 0, gid: 0 };
      if (st.isDirectory()) out.push({ ...base, kind: 'directory' });
      else if (st.isSymbolicLink()) out.push({ ...base, kind: 'symlink', target: await readlink(full) });
      else if (st.isFile()) out.push({ ...base, kind: 'file', content: { kind: 'host', path: full } });
    }),
  );
  return out;
}

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}

async function umociRepack(work: string, tree: string, run: number): Promise<{ ms: number; layerSize: number }> {
  const layout = join(work, `umoci-${run}`);
  const bundle = join(work, `umoci-bundle-${run}`);
  await sh(`umoci init --layout ${layout} && umoci new --image ${layout}:t && umoci unpack --rootless --image ${layout}:t ${bundle}`);
  await cp(tree, join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  const ms = await timed(() => sh(`umoci repack --image ${layout}:t ${bundle}`));
  const blobs = join(layout, 'blobs', 'sha256');
  const sizes = await Promise.all((await readdir(blobs)).map(async (b) => (await lstat(join(blobs, b))).size));
  await rm(layout, { recursive: true, force: true });
  await rm(bundle, { recursive: true, force: true });
  return { ms, layerSize: Math.max(...sizes) };
}

/**
 * ~30 "packages" of mixed files, a few thousand in all: text that compresses like source
 * and configuration (about 60% of the bytes) and random bytes like already-compressed
 * assets (about 40%), sizes from 1 KiB to ~1 MiB, plus a symlink per package.
 */
async function generateTree(root: string): Promise<{ files: number; bytes: number }> {
  const words = ['static', 'const', 'return', 'include', 'struct', 'if', 'else', 'int', 'void', 'char', 'for', 'while', 'kiln', 'layer', 'config', '{', '}', ';', '\n', '  '];
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const textPool = Buffer.from(Array.from({ length: 400_000 }, () => words[rand() % words.length]).join(' '));
  let files = 0;
  let bytes = 0;
  const perPackage = Math.floor(TARGET_BYTES / PACKAGES);
  await mkdir(join(root, 'usr', 'bin'), { recursive: true });
  for (let p = 0; p < PACKAGES; p++) {
    const dir = join(root, 'usr', 'lib', `pkg${p}`);
    await mkdir(join(dir, 'share', 'doc'), { recursive: true });
    let written = 0;
    for (let i = 0; written < perPackage; i++) {
      const binary = rand() % 10 < 4;
      // log-uniform 1 KiB … 1 MiB: many small files, a few large ones, as in real packages
      const size = Math.min(perPackage - written, Math.floor(1024 * 2 ** (rand() % 10) * (1 + (rand() % 100) / 100)));
      const start = rand() % (textPool.length - size);
      const data = binary ? randomBytes(size) : textPool.subarray(start, start + size);
      await writeFile(join(dir, i % 4 === 0 ? 'share/doc' : '', `file-${i}${binary ? '.bin' : '.txt'}`), data);
      written += size;
      files++;
    }
    await symlink(`../lib/pkg${p}/file-1.txt`, join(root, 'usr', 'bin', `pkg${p}`));
    bytes += written;
  }
  return { files, bytes };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Runs a bash pipeline; resolves with its stdout. */
function sh(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${command}: exit ${code}: ${err.trim()}`))));
  });
}
