import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { RegistryClient, canonicalJsonBytes, digestOf, MediaType, type Digest } from '../src/oci/index.ts';
import { freePort, startDockerRegistry, type RunningRegistry } from '../src/testing/index.ts';
import { fmt, percentile, publish, type Table } from './report.ts';

/**
 * kiln's registry against Debian's docker-registry (distribution 2.8), both as their own
 * processes, through the same client in the same run: blob push/pull throughput and
 * latency, and manifest GETs from 50 concurrent clients.
 */
export async function benchRegistry(): Promise<void> {
  const small = Array.from({ length: 200 }, () => blob(1 << 20));
  const large = Array.from({ length: 5 }, () => blob(100 << 20));
  const targets: [string, () => Promise<RunningRegistry>][] = [
    ['docker-registry', () => startDockerRegistry()],
    ['kiln', startKilnRegistryProcess],
  ];
  const results = new Map<string, Map<string, Measure>>();
  for (const [name, start] of targets) {
    const registry = await start();
    try {
      process.stdout.write(`  ${name} at ${registry.host}\n`);
      results.set(name, await measureAll(registry.host, small, large));
    } finally {
      await registry.close();
    }
  }
  const docker = results.get('docker-registry')!;
  const kiln = results.get('kiln')!;
  const rows = [...docker.keys()].map((row) => {
    const d = docker.get(row)!;
    const k = kiln.get(row)!;
    return [row, `${fmt.rate(d.rate)} ${d.unit}`, `${fmt.rate(k.rate)} ${k.unit}`, fmt.ratio(k.rate / d.rate),
      `${fmt.ms(d.p50)} / ${fmt.ms(d.p99)}`, `${fmt.ms(k.p50)} / ${fmt.ms(k.p99)}`];
  });
  const table: Table = {
    title: 'registry: kiln vs docker-registry (same client, same run)',
    columns: ['operation', 'docker-registry', 'kiln', 'kiln/docker (throughput, >1 is faster)', 'docker p50 / p99 ms', 'kiln p50 / p99 ms'],
    rows,
  };
  await publish('registry', [table], [
    'blob rows: 8 concurrent uploads or downloads, throughput = bytes / wall time; manifest row: 50 concurrent clients, 2,000 GETs',
    'each registry runs as its own process with filesystem storage in a temp directory',
  ]);
}

type TestBlob = { readonly data: Buffer; readonly digest: Digest };
type Measure = { readonly rate: number; readonly unit: string; readonly p50: number; readonly p99: number };

function blob(size: number): TestBlob {
  const data = randomBytes(size);
  return { data, digest: digestOf(data) };
}

async function measureAll(host: string, small: readonly TestBlob[], large: readonly TestBlob[]): Promise<Map<string, Measure>> {
  const client = new RegistryClient({ host });
  const out = new Map<string, Measure>();
  const repo = 'bench/blobs';
  // warm up the connection pool and the registry's code paths
  const warm = blob(1024);
  await client.pushBlob(repo, warm.data, { digest: warm.digest, size: warm.data.length });
  await client.readBlob(repo, warm.digest, warm.data.length);
  out.set('push 200 × 1 MiB', await transfer(small, 8, (b) => client.pushBlob(repo, () => chunked(b.data), { digest: b.digest, size: b.data.length })));
  out.set('pull 200 × 1 MiB', await transfer(small, 8, (b) => pipeline(client.openBlob(repo, b.digest, b.data.length), sink())));
  out.set('push 5 × 100 MiB', await transfer(large, 5, (b) => client.pushBlob(repo, () => chunked(b.data), { digest: b.digest, size: b.data.length })));
  out.set('pull 5 × 100 MiB', await transfer(large, 5, (b) => pipeline(client.openBlob(repo, b.digest, b.data.length), sink())));
  out.set('manifest GET × 2000, 50 clients', await manifestGets(host));
  return out;
}

/** Runs `op` over every blob with `concurrency` at once; MiB/s over the wall time. */
async function transfer(blobs: readonly TestBlob[], concurrency: number, op: (b: TestBlob) => Promise<unknown>): Promise<Measure> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < blobs.length) {
        const b = blobs[next++]!;
        const t0 = performance.now();
        await op(b);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const bytes = blobs.reduce((n, b) => n + b.data.length, 0);
  return { rate: bytes / (1 << 20) / seconds, unit: 'MiB/s', p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function manifestGets(host: string): Promise<Measure> {
  const setup = new RegistryClient({ host });
  const repo = 'bench/app';
  const config = canonicalJsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  const layer = randomBytes(4096);
  await setup.pushBlob(repo, config, { digest: digestOf(config), size: config.length });
  await setup.pushBlob(repo, layer, { digest: digestOf(layer), size: layer.length });
  const manifest = canonicalJsonBytes({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: digestOf(layer), size: layer.length }],
  });
  await setup.putManifest(repo, 'v1', manifest, MediaType.ociManifest);
  const clients = Array.from({ length: 50 }, () => new RegistryClient({ host }));
  const latencies: number[] = [];
  let remaining = 2000;
  const started = performance.now();
  await Promise.all(
    clients.map(async (c, i) => {
      while (remaining > 0) {
        remaining--;
        const t0 = performance.now();
        await c.getManifest(repo, i % 2 === 0 ? 'v1' : digestOf(manifest));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rate: 2000 / seconds, unit: 'req/s', p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function chunked(data: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += 256 * 1024) chunks.push(data.subarray(i, i + 256 * 1024));
  return Readable.from(chunks);
}

function sink(): Writable {
  return new Writable({ write: (_c, _e, done) => done() });
}

/** kiln's registry as its own process, as docker-registry is, so neither shares the client's event loop. */
async function startKilnRegistryProcess(): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-bench-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(import.meta.dirname, '../src/cli/main.ts'), 'registry', 'serve', '--storage', dir, '--listen', host], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://${host}/v2/`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 100 || child.exitCode !== null) throw new Error(`kiln registry did not start on ${host}`);
    await delay(100);
  }
  return {
    host,
    url: `http://${host}`,
    async close() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
