import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const MAIN = join(import.meta.dirname, 'main.ts');
let state: string | undefined;
after(async () => {
  if (state) await rm(state, { recursive: true, force: true });
});

test('kiln serve says where it listens, serves /v2/ and stops cleanly on SIGINT', async () => {
  state = await mkdtemp(join(tmpdir(), 'kiln-serve-'));
  const child = spawn(process.execPath, [MAIN, 'serve', '--state', state, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // a loaded machine (2 cores, the suite in parallel) can take a while to start PGlite
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listening line in 60 s: ${out}`));
    }, 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`kiln serve exited early with ${code}: ${out}`)));
  });
  const res = await fetch(`${url}/v2/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.equal((await fetch(`${url}/healthz`)).status, 200);
  assert.equal((await fetch(`${url}/nothing`)).status, 404);
  assert.ok((await stat(join(state, 'registry'))).isDirectory());

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.match(out, /shutting down/);
});

test('kiln serve refuses a bad --listen with exit 2', async () => {
  const child = spawn(process.execPath, [MAIN, 'serve', '--listen', 'nowhere'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /error\[USAGE\] --listen: expected HOST:PORT/);
});
