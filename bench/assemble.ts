import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apkFileName,
  decodeApk,
  encodeApk,
  generateApkSigningKey,
  indexEntryFor,
  parseApkConstraint,
  parseApkVersion,
  writeApkIndex,
  type ApkFile,
  type ApkIndexEntry,
} from '../src/apk/index.ts';
import { buildImage, buildRootfs, DEFAULT_GZIP_LEVEL, DeflateRunCache, defaultGzipConcurrency, parseImageConfigYaml } from '../src/assemble/index.ts';
import { OciLayout } from '../src/oci/index.ts';
import { fmt, median, publish, timed, type Table } from './report.ts';

const PACKAGES = 30;
const TARGET_BYTES = 100 * 1024 * 1024;
const RUNS = 3;
const EPOCH = 1_700_000_000;
const ARCH = 'x86_64';

/**
 * An image from ~30 APK packages (~100 MB uncompressed) into an OCI layout, in the same
 * run: (a) kiln through the real path, `buildImage`: load the config, verify and read
 * the index, solve, read and verify every package (signature, datahash, file SHA-1s,
 * C: checksum), merge the root filesystem, write the layer, config, manifest and index;
 * (b) the floor, `tar --sort=name | gzip -6 | sha256sum` over the same root filesystem
 * (extracted once from kiln's layer); (c) `umoci repack` of that tree (only the repack
 * step is timed). Caches are warm (one kiln build before timing). Median of RUNS runs.
 * A separate row times kiln's part before the layer (solve + read packages + rootfs),
 * to show how much of kiln's time goes to reading the APKs.
 */
export async function benchAssemble(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-assemble-'));
  try {
    const repo = join(work, 'repo');
    process.stdout.write('  generating and signing packages (gzip -9, not timed)…\n');
    const { files, bytes, keyFile } = await generateRepository(repo);
    // the same repository with one package rebuilt with other content: a daily rebuild's case
    const changedRepo = join(work, 'repo-changed');
    await makeChangedRepository(repo, changedRepo, keyFile);
    const config = join(work, 'image.yaml');
    const packages = Array.from({ length: PACKAGES }, (_, p) => `pkg${p}`);
    await writeFile(config, `contents:\n  packages: [${packages.join(', ')}]\nentrypoint:\n  command: /usr/bin/pkg0\narchs: [${ARCH}]\n`);
    process.stdout.write(`  repository: ${PACKAGES} packages, ${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB uncompressed\n`);

    // warm-up build, which also fills the layer cache; its layer is the root filesystem
    // the floor and umoci work on
    const cache = join(work, 'layer-cache');
    const warm = await kilnBuild(config, repo, keyFile, join(work, 'kiln-warm'), cache);
    const tree = join(work, 'rootfs');
    await mkdir(tree);
    await sh(`tar -xzf ${join(work, 'kiln-warm', 'blobs', 'sha256', warm.layerDigest.slice('sha256:'.length))} -C ${tree}`);
    await rm(join(work, 'kiln-warm'), { recursive: true, force: true });
    const treeBytes = Number((await sh(`du -sb --apparent-size ${tree}`)).split(/\s/)[0]);
    await sh(`tar -C ${tree} --sort=name -cf - . > /dev/null`); // warm the page cache

    const times = { floor: [] as number[], umoci: [] as number[], cold: [] as number[], warm: [] as number[], changed: [] as number[], read: [] as number[] };
    let umociSize = 0;
    const floorSize = Number(await sh(`tar -C ${tree} --sort=name -cf - . | gzip -6 | wc -c`));
    const kilnRun = async (run: number, repoDir: string, cacheDir: string | undefined): Promise<number> => {
      const layoutDir = join(work, `kiln-${run}`);
      await sh('sync');
      const ms = await timed(() => kilnBuild(config, repoDir, keyFile, layoutDir, cacheDir));
      await rm(layoutDir, { recursive: true, force: true });
      return ms;
    };
    for (let run = 0; run < RUNS; run++) {
      // every tool starts with the disk quiet: no write-back of an earlier step's files
      // (the copy into umoci's bundle, a layout just removed) competing with its own I/O
      await sh('sync');
      times.floor.push(await timed(() => sh(`tar -C ${tree} --sort=name -cf - . | gzip -6 | sha256sum > /dev/null`)));
      const repack = await umociRepack(work, tree, run);
      times.umoci.push(repack.ms);
      umociSize = repack.layerSize;
      times.cold.push(await kilnRun(run, repo, undefined));
      times.warm.push(await kilnRun(run, repo, cache));
      // a copy of the warm cache each time, so that every run meets the changed package new
      const changedCache = join(work, `layer-cache-${run}`);
      await cp(cache, changedCache, { recursive: true });
      times.changed.push(await kilnRun(run, changedRepo, changedCache));
      await rm(changedCache, { recursive: true, force: true });
      times.read.push(await timed(() => kilnRootfsOnly(repo, keyFile)));
    }
    const [f, u, kc, kw, kx, kr] = [times.floor, times.umoci, times.cold, times.warm, times.changed, times.read].map(median) as [number, number, number, number, number, number];
    const mbs = (ms: number) => fmt.rate(treeBytes / 1e6 / (ms / 1000));
    const row = (tool: string, ms: number, size: string): string[] => [tool, fmt.ms(ms), mbs(ms), size, fmt.ratio(ms / u), fmt.ratio(ms / f)];
    const table: Table = {
      title: `assemble: ${PACKAGES} APK packages (~100 MB) → image (median of ${RUNS})`,
      columns: ['tool', 'ms', 'MB/s (uncompressed)', 'compressed MB', '÷ umoci', '÷ floor'],
      rows: [
        row('tar, gzip -6, sha256sum pipeline over the rootfs (floor)', f, mb(floorSize)),
        row('umoci repack of the rootfs', u, mb(umociSize)),
        row('kiln image build, no layer cache: solve, read + verify APKs, rootfs, layer, manifests', kc, mb(warm.layerSize)),
        row('kiln image build, layer cache warm, nothing changed', kw, mb(warm.layerSize)),
        row(`kiln image build, layer cache warm, 1 of ${PACKAGES} packages changed`, kx, mb(warm.layerSize)),
        [`  for reference: solve, read + verify APKs, rootfs, nothing compressed`, fmt.ms(kr), mbs(kr), '-', `${((kr / kc) * 100).toFixed(0)}% of kiln without cache`, '-'],
      ],
    };
    await publish('assemble', [table], [
      `rootfs: ${treeBytes} bytes; kiln: zlib level ${DEFAULT_GZIP_LEVEL} in 1 MiB blocks on ${defaultGzipConcurrency() / 2} layer threads, random-looking 64 KiB segments stored, files of 64 KiB and more compressed on their own; umoci compresses with pgzip`,
      'large files are compressed (or taken from the layer cache: runs of 64 KiB and larger files from earlier builds, each decompressed and compared byte for byte with the file before use) on the APK reader threads while each package is read; the layer is byte-identical with or without the cache',
      `the "changed" row rebuilds with pkg${Math.floor(PACKAGES / 2)} replaced by a release with other content, against a copy of the warm cache each run`,
      'kiln/floor target ≤ 1.3×; the floor runs tar, gzip and sha256sum as three processes in parallel and starts from an extracted tree',
      'kiln times include fsync of every blob; umoci and the floor start from files already on disk, kiln from the packages',
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function kilnBuild(config: string, repo: string, keyFile: string, layoutDir: string, cacheDir: string | undefined): Promise<{ layerDigest: string; layerSize: number }> {
  const layout = await OciLayout.open(layoutDir, { create: true });
  // kiln image build opens the cache and settles it (entries written, trimmed) before it returns
  const layerCache = cacheDir === undefined ? undefined : await DeflateRunCache.open(cacheDir);
  const built = await buildImage({ configFile: config, repos: [repo], keyrings: [keyFile], archs: [], sourceDateEpoch: EPOCH, layout, tag: 'bench', ...(layerCache && { layerCache }) });
  await layerCache?.settle();
  const layer = built.image.images[0]?.layer.descriptor;
  return { layerDigest: layer?.digest ?? '', layerSize: layer?.size ?? 0 };
}

async function kilnRootfsOnly(repo: string, keyFile: string): Promise<void> {
  const pem = await readFile(keyFile, 'utf8');
  const { spec } = parseImageConfigYaml(`contents:\n  packages: [${Array.from({ length: PACKAGES }, (_, p) => `pkg${p}`).join(', ')}]\n`, 'bench.yaml');
  await buildRootfs({ spec, arch: ARCH, repositories: [{ dir: repo }], keys: new Map([[keyFile.split('/').pop() ?? '', pem]]), configName: 'bench.yaml', sourceDateEpoch: EPOCH });
}

function mb(n: number): string {
  return (n / 1e6).toFixed(1);
}

async function umociRepack(work: string, tree: string, run: number): Promise<{ ms: number; layerSize: number }> {
  const layout = join(work, `umoci-${run}`);
  const bundle = join(work, `umoci-bundle-${run}`);
  await sh(`umoci init --layout ${layout} && umoci new --image ${layout}:t && umoci unpack --rootless --image ${layout}:t ${bundle}`);
  await cp(tree, join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  await sh('sync');
  const ms = await timed(() => sh(`umoci repack --image ${layout}:t ${bundle}`));
  const blobs = join(layout, 'blobs', 'sha256');
  const sizes = await Promise.all((await readdir(blobs)).map(async (b) => (await lstat(join(blobs, b))).size));
  await rm(layout, { recursive: true, force: true });
  await rm(bundle, { recursive: true, force: true });
  return { ms, layerSize: Math.max(...sizes) };
}

/**
 * ~30 signed packages of mixed files, a few thousand in all: text that compresses like
 * source and configuration (about 60% of the bytes) and random bytes like
 * already-compressed assets (about 40%), sizes from 1 KiB to ~1 MiB, plus a symlink
 * per package; pkgN depends on pkgN-1 so the solver has a chain to follow.
 */
async function generateRepository(repo: string): Promise<{ files: number; bytes: number; keyFile: string }> {
  const key = generateApkSigningKey({ bits: 2048, prefix: 'bench' });
  benchKey = key;
  const keyFile = join(repo, key.keyName);
  await mkdir(join(repo, ARCH), { recursive: true });
  await writeFile(keyFile, key.publicPem);
  const rand = seeded(12345);
  let files = 0;
  let bytes = 0;
  const entries: ApkIndexEntry[] = [];
  for (let p = 0; p < PACKAGES; p++) {
    const content = packageFiles(p, rand);
    files += content.length - 1;
    bytes += content.reduce((sum, f) => sum + (f.kind === 'file' ? f.content.length : 0), 0);
    entries.push(await writePackage(repo, p, '1.0-r0', content, key));
  }
  await writeApkIndex(join(repo, ARCH, 'APKINDEX.tar.gz'), { entries, key, sourceDateEpoch: EPOCH });
  return { files, bytes, keyFile };
}

/** The key generateRepository signed with, for the changed repository (kept in memory only). */
let benchKey: ReturnType<typeof generateApkSigningKey> | undefined;

/** `repo` with its middle package rebuilt as 1.0-r1 with other content, in `to`. */
async function makeChangedRepository(repo: string, to: string, keyFile: string): Promise<void> {
  const key = benchKey;
  if (key === undefined) throw new Error('generateRepository first');
  const changed = Math.floor(PACKAGES / 2);
  await mkdir(join(to, ARCH), { recursive: true });
  await cp(keyFile, join(to, key.keyName));
  const keys = new Map([[key.keyName, key.publicPem]]);
  const entries: ApkIndexEntry[] = [];
  for (let p = 0; p < PACKAGES; p++) {
    if (p === changed) {
      entries.push(await writePackage(to, p, '1.0-r1', packageFiles(p, seeded(777)), key));
      continue;
    }
    const name = (await readdir(join(repo, ARCH))).find((n) => n.startsWith(`pkg${p}-`)) as string;
    await cp(join(repo, ARCH, name), join(to, ARCH, name));
    entries.push(indexEntryFor(await decodeApk(await readFile(join(to, ARCH, name)), { keys })));
  }
  await writeApkIndex(join(to, ARCH, 'APKINDEX.tar.gz'), { entries, key, sourceDateEpoch: EPOCH });
}

function seeded(start: number): () => number {
  let seed = start;
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
}

const WORDS = ['static', 'const', 'return', 'include', 'struct', 'if', 'else', 'int', 'void', 'char', 'for', 'while', 'kiln', 'layer', 'config', '{', '}', ';', '\n', '  '];
const textPool = (() => {
  const rand = seeded(4242);
  return Buffer.from(Array.from({ length: 400_000 }, () => WORDS[rand() % WORDS.length]).join(' '));
})();

/** Package `p`'s files: log-uniform 1 KiB … 1 MiB, many small, a few large, as in real packages. */
function packageFiles(p: number, rand: () => number): ApkFile[] {
  const dir = `usr/lib/pkg${p}`;
  const content: ApkFile[] = [];
  const perPackage = Math.floor(TARGET_BYTES / PACKAGES);
  let written = 0;
  for (let i = 0; written < perPackage; i++) {
    const binary = rand() % 10 < 4;
    const size = Math.min(perPackage - written, Math.floor(1024 * 2 ** (rand() % 10) * (1 + (rand() % 100) / 100)));
    const start = rand() % (textPool.length - size);
    const data = binary ? randomBytes(size) : textPool.subarray(start, start + size);
    content.push({ kind: 'file', path: `${dir}/${i % 4 === 0 ? 'share/doc/' : ''}file-${i}${binary ? '.bin' : '.txt'}`, mode: 0o644, uid: 0, gid: 0, content: data });
    written += size;
  }
  content.push({ kind: 'symlink', path: `usr/bin/pkg${p}`, target: `../lib/pkg${p}/file-1.txt`, uid: 0, gid: 0 });
  return content;
}

async function writePackage(repo: string, p: number, version: string, files: ApkFile[], key: ReturnType<typeof generateApkSigningKey>): Promise<ApkIndexEntry> {
  const apk = await encodeApk({
    info: {
      name: `pkg${p}`, version: parseApkVersion(version), arch: ARCH, description: `bench package ${p}`, url: '', license: 'MIT', buildDate: EPOCH,
      depends: p > 0 ? [parseApkConstraint(`pkg${p - 1}`)] : [], provides: [], replaces: [], installIf: [], triggers: [],
    },
    files,
    key,
    sourceDateEpoch: EPOCH,
  });
  await writeFile(join(repo, ARCH, apkFileName(apk.info)), apk.bytes);
  return indexEntryFor(await decodeApk(apk.bytes, { keys: new Map([[key.keyName, key.publicPem]]) }));
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
