import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestHex, digestOf } from '../oci/index.ts';
import { collectGarbage } from './gc.ts';
import { assertSameBytes, listFiles, pushBlob } from './test-kit.ts';

const MAIN = join(import.meta.dirname, '..', 'cli', 'main.ts');

type Child = { readonly proc: ChildProcess; readonly url: string };

/** `kiln registry serve` as a real process, ready once it prints where it listens. */
async function serve(storage: string): Promise<Child> {
  const proc = spawn(process.execPath, [MAIN, 'registry', 'serve', '--storage', storage, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`kiln registry serve exited with ${code}: ${err}`)));
  });
  return { proc, url };
}

/** Starts a request whose body we feed by hand, so that it can be cut off midway. */
function openUpload(url: string, method: string, path: string, length: number, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(url);
  const req = request({ hostname, port, method, path, headers: { 'Content-Length': length, ...headers } });
  const done = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
  });
  return { req, done };
}

async function waitForBytes(dir: string, atLeast: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const files = await listFiles(dir);
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, f))).size));
    if (sizes.filter((s) => s >= atLeast).length >= 2) return;
    await sleep(10);
  }
  throw new Error(`no two uploads in ${dir} reached ${atLeast} bytes`);
}

test('a server killed mid-upload leaves no partial blob, and serves normally after a restart', async () => {
  const storage = await mkdtemp(join(tmpdir(), 'kiln-registry-crash-'));
  let child = await serve(storage);
  try {
    const data = randomBytes(8 * 1024 * 1024);
    const digest = digestOf(data);

    // 1. a monolithic streamed POST ?digest=, cut at half
    const mono = openUpload(child.url, 'POST', `/v2/crash/blobs/uploads/?digest=${digest}`, data.length);
    mono.req.write(data.subarray(0, 4 * 1024 * 1024));

    // 2. a chunked upload: one whole chunk, then a final PUT cut at half
    const start = await fetch(`${child.url}/v2/crash/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location') ?? '';
    const first = await fetch(new URL(location, child.url), { method: 'PATCH', body: data.subarray(0, 1024 * 1024), headers: { 'Content-Range': `0-${1024 * 1024 - 1}` } });
    assert.equal(first.status, 202);
    const rest = data.subarray(1024 * 1024);
    const last = openUpload(child.url, 'PUT', `${location}?digest=${digest}`, rest.length);
    last.req.write(rest.subarray(0, 3 * 1024 * 1024));

    await waitForBytes(join(storage, 'uploads'), 3 * 1024 * 1024);
    child.proc.kill('SIGKILL');
    assert.deepEqual(await Promise.all([mono.done, last.done]), [-1, -1], 'both uploads were cut off');

    // the kill did land mid-upload: staging files are there, the blob store has nothing
    assert.ok((await listFiles(join(storage, 'uploads'))).length >= 2);
    assert.ok(!(await listFiles(storage)).some((f) => f.includes(digestHex(digest))), 'no blob file and no link for the digest');

    child = await serve(storage);
    const head = await fetch(`${child.url}/v2/crash/blobs/${digest}`, { method: 'HEAD' });
    assert.equal(head.status, 404);
    // the old session died with the process
    const status = await fetch(new URL(location, child.url));
    assert.equal(status.status, 404);
    await status.arrayBuffer();

    // and the registry works: the same blob pushes and reads back whole
    assert.equal(await pushBlob(child.url, 'crash', data), digest);
    assertSameBytes(await (await fetch(`${child.url}/v2/crash/blobs/${digest}`)).arrayBuffer(), data);

    // the staging files of the killed uploads are gc's to remove
    const gc = await collectGarbage(storage, { uploadMaxAgeMs: 0, blobMinAgeMs: 60_000 });
    assert.equal(gc.removed.filter((r) => r.kind === 'upload').length, 2);

    // SIGTERM shuts down cleanly
    const exit = new Promise<number | null>((resolve) => child.proc.once('exit', resolve));
    child.proc.kill('SIGTERM');
    assert.equal(await exit, 0);
  } finally {
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await rm(storage, { recursive: true, force: true });
  }
});
