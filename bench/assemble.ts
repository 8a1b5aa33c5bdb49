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
import { buildImage, buildRootfs, DEFAULT_GZIP_LEVEL, defaultGzipConcurrency, parseImageConfigYaml } from '../src/assemble/index.ts';
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
    const config = join(work, 'image.yaml');
    const packages = Array.from({ length: PACKAGES }, (_, p) => `pkg${p}`);
    await writeFile(config, `contents:\n  packages: [${packages.join(', ')}]\nentrypoint:\n  command: /usr/bin/pkg0\narchs: [${ARCH}]\n`);
    process.stdout.write(`  repository: ${PACKAGES} packages, ${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB uncompressed\n`);

    // warm-up build; its layer is the root filesystem the floor and umoci work on
    const warm = await kilnBuild(config, repo, keyFile, join(work, 'kiln-warm'));
    const tree = join(work, 'rootfs');
    await mkdir(tree);
    await sh(`tar -xzf ${join(work, 'kiln-warm', 'blobs', 'sha256', warm.layerDigest.slice('sha256:'.length))} -C ${tree}`);
    await rm(join(work, 'kiln-warm'), { recursive: true, force: true });
    const treeBytes = Number((await sh(`du -sb --apparent-size ${tree}`)).split(/\s/)[0]);
    await sh(`tar -C ${tree} --sort=name -cf - . > /dev/null`); // warm the page cache

    const floor: number[] = [];
    const umoci: number[] = [];
    const kiln: number[] = [];
    const kilnRead: number[] = [];
    let umociSize = 0;
    const floorSize = Number(await sh(`tar -C ${tree} --sort=name -cf - . | gzip -6 | wc -c`));
    for (let run = 0; run < RUNS; run++) {
      // every tool starts with the disk quiet: no write-back of an earlier step's files
      // (the copy into umoci's bundle, a layout just removed) competing with its own I/O
      await sh('sync');
      floor.push(await timed(() => sh(`tar -C ${tree} --sort=name -cf - . | gzip -6 | sha256sum > /dev/null`)));
      const repack = await umociRepack(work, tree, run);
      umoci.push(repack.ms);
      umociSize = repack.layerSize;
      const layoutDir = join(work, `kiln-${run}`);
      await sh('sync');
      kiln.push(await timed(() => kilnBuild(config, repo, keyFile, layoutDir)));
      await rm(layoutDir, { recursive: true, force: true });
      kilnRead.push(await timed(() => kilnRootfsOnly(repo, keyFile)));
    }
    const [f, u, k, kr] = [median(floor), median(umoci), median(kiln), median(kilnRead)];
    const mbs = (ms: number) => fmt.rate(treeBytes / 1e6 / (ms / 1000));
    const table: Table = {
      title: `assemble: ${PACKAGES} APK packages (~100 MB) → image (median of ${RUNS})`,
      columns: ['tool', 'ms', 'MB/s (uncompressed)', 'compressed MB', 'kiln ÷ this'],
      rows: [
        ['tar, gzip -6, sha256sum pipeline over the rootfs (floor)', fmt.ms(f), mbs(f), mb(floorSize), fmt.ratio(k / f)],
        ['umoci repack of the rootfs', fmt.ms(u), mbs(u), mb(umociSize), fmt.ratio(k / u)],
        ['kiln image build: solve, read + verify APKs, rootfs, layer, manifests', fmt.ms(k), mbs(k), mb(warm.layerSize), '1.00×'],
        ['  of which: solve, read + verify APKs, rootfs (no layer)', fmt.ms(kr), mbs(kr), '-', `${((kr / k) * 100).toFixed(0)}% of kiln`],
      ],
    };
    await publish('assemble', [table], [
      `rootfs: ${treeBytes} bytes; kiln: zlib level ${DEFAULT_GZIP_LEVEL} in 1 MiB blocks on ${defaultGzipConcurrency()} threads, random-looking 64 KiB segments stored; umoci compresses with pgzip`,
      `reading the APKs (inflate of gzip -9 streams on the thread pool, SHA-1 of every file, SHA-256 datahash) is ${((kr / k) * 100).toFixed(0)}% of kiln's time`,
      'kiln/floor target ≤ 1.3×; the floor runs tar, gzip and sha256sum as three processes in parallel and starts from an extracted tree',
      'kiln times include fsync of every blob; umoci and the floor start from files already on disk, kiln from the packages',
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function kilnBuild(config: string, repo: string, keyFile: string, layoutDir: string): Promise<{ layerDigest: string; layerSize: number }> {
  const layout = await OciLayout.open(layoutDir, { create: true });
  const built = await buildImage({ configFile: config, repos: [repo], keyrings: [keyFile], archs: [], sourceDateEpoch: EPOCH, layout, tag: 'bench' });
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
  const words = ['static', 'const', 'return', 'include', 'struct', 'if', 'else', 'int', 'void', 'char', 'for', 'while', 'kiln', 'layer', 'config', '{', '}', ';', '\n', '  '];
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const textPool = Buffer.from(Array.from({ length: 400_000 }, () => words[rand() % words.length]).join(' '));
  const key = generateApkSigningKey({ bits: 2048, prefix: 'bench' });
  const keyFile = join(repo, key.keyName);
  await mkdir(join(repo, ARCH), { recursive: true });
  await writeFile(keyFile, key.publicPem);
  const keys = new Map([[key.keyName, key.publicPem]]);
  let files = 0;
  let bytes = 0;
  const entries: ApkIndexEntry[] = [];
  const perPackage = Math.floor(TARGET_BYTES / PACKAGES);
  for (let p = 0; p < PACKAGES; p++) {
    const dir = `usr/lib/pkg${p}`;
    const content: ApkFile[] = [];
    let written = 0;
    for (let i = 0; written < perPackage; i++) {
      const binary = rand() % 10 < 4;
      // log-uniform 1 KiB … 1 MiB: many small files, a few large ones, as in real packages
      const size = Math.min(perPackage - written, Math.floor(1024 * 2 ** (rand() % 10) * (1 + (rand() % 100) / 100)));
      const start = rand() % (textPool.length - size);
      const data = binary ? randomBytes(size) : textPool.subarray(start, start + size);
      content.push({ kind: 'file', path: `${dir}/${i % 4 === 0 ? 'share/doc/' : ''}file-${i}${binary ? '.bin' : '.txt'}`, mode: 0o644, uid: 0, gid: 0, content: data });
      written += size;
      files++;
    }
    content.push({ kind: 'symlink', path: `usr/bin/pkg${p}`, target: `../lib/pkg${p}/file-1.txt`, uid: 0, gid: 0 });
    bytes += written;
    const apk = await encodeApk({
      info: {
        name: `pkg${p}`, version: parseApkVersion('1.0-r0'), arch: ARCH, description: `bench package ${p}`, url: '', license: 'MIT', buildDate: EPOCH,
        depends: p > 0 ? [parseApkConstraint(`pkg${p - 1}`)] : [], provides: [], replaces: [], installIf: [], triggers: [],
      },
      files: content,
      key,
      sourceDateEpoch: EPOCH,
    });
    await writeFile(join(repo, ARCH, apkFileName(apk.info)), apk.bytes);
    entries.push(indexEntryFor(await decodeApk(apk.bytes, { keys })));
  }
  await writeApkIndex(join(repo, ARCH, 'APKINDEX.tar.gz'), { entries, key, sourceDateEpoch: EPOCH });
  return { files, bytes, keyFile };
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
