import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { ApkReaderPool } from './apk-reader-pool.ts';
import { packApk, unpackApk } from './apk-reader-wire.ts';
import { inflateMemberAt } from './gzip.ts';
import { checkedSha1Of, readApk, type DecodedApk } from './read-apk.ts';
import { craftApk, dir, file, link, sampleInput, testKeys } from './test-fixtures.ts';
import { encodeApk, writeApk } from './write-apk.ts';

const [key, otherKey] = testKeys();
const keys = new Map([[key.keyName, key.publicPem]]);

let tmp: string;
let pool: ApkReaderPool;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'kiln-apk-pool-'));
  pool = new ApkReaderPool({ size: 2 });
});
after(async () => {
  await pool.close();
  await rm(tmp, { recursive: true, force: true });
});

/** Every regular file's checked SHA-1, in hex, by path. */
function checkedSha1s(apk: DecodedApk): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const f of apk.files) if (f.kind === 'file') out[f.path] = Buffer.from(checkedSha1Of(f) ?? []).toString('hex') || undefined;
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<KilnError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KilnError, `expected a KilnError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the read to fail');
}

/** The pool refuses a package exactly as readApk does: a KilnError with the same code and message. */
async function refusedAlike(path: string, options = { keys }): Promise<KilnError> {
  const direct = await errorOf(readApk(path, options));
  const pooled = await errorOf(pool.read(path, options));
  assert.equal(pooled.code, direct.code);
  assert.equal(pooled.message, direct.message);
  return pooled;
}

async function put(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(tmp, name);
  await writeFile(path, bytes);
  return path;
}

void describe('APK reader pool', () => {
  void test('a package read through the pool is the one readApk reads, checked SHA-1s included', async () => {
    const path = join(tmp, 'hello-2.12.1-r0.apk');
    await writeApk(path, sampleInput(key));
    const direct = await readApk(path, { keys });
    const pooled = await pool.read(path, { keys });
    assert.deepEqual(pooled, direct);
    assert.deepEqual(checkedSha1s(pooled), checkedSha1s(direct));
    assert.equal(Object.values(checkedSha1s(pooled)).filter((s) => s !== undefined).length, 3);
    assert.match(pooled.fileSha256 ?? '', /^[0-9a-f]{64}$/);
  });

  void test('contents arrive as views of one moved buffer, and still match their SHA-1s', async () => {
    const big = randomBytes(300_000).toString('hex'); // compresses to about half: a large data stream
    const entries = [dir('usr'), dir('usr/share'), ...Array.from({ length: 50 }, (_, i) => file(`usr/share/f${i}`, `${i}:${big.slice(0, 10_000 * (i % 7))}`)), file('usr/share/big', big)];
    const path = await put('big.apk', await craftApk(entries, key));
    const pooled = await pool.read(path, { keys });
    assert.deepEqual(pooled, await readApk(path, { keys }));
    const regular = pooled.files.filter((f) => f.kind === 'file');
    assert.equal(regular.length, 51);
    assert.equal(new Set(regular.map((f) => f.content.buffer)).size, 1);
    for (const f of regular) {
      assert.ok(Buffer.isBuffer(f.content), f.path);
      assert.equal(createHash('sha1').update(f.content).digest('hex'), Buffer.from(checkedSha1Of(f) ?? []).toString('hex'), f.path);
    }
  });

  void test('many reads at once come back each to its own caller', async () => {
    const paths = await Promise.all(Array.from({ length: 6 }, async (_, i) => put(`n${i}.apk`, await craftApk([dir('etc'), file(`etc/n${i}`, `package ${i}`)], key))));
    const read = await Promise.all(paths.map((p) => pool.read(p, { keys })));
    assert.deepEqual(
      read.map((a) => a.files.map((f) => f.path)),
      paths.map((_, i) => ['etc', `etc/n${i}`]),
    );
  });

  void test('a bad signature is refused as readApk refuses it', async () => {
    const path = await put('signed.apk', (await encodeApk(sampleInput(key))).bytes);
    assert.equal((await refusedAlike(path, { keys: new Map() })).code, 'SIGNATURE_INVALID');
    assert.equal((await refusedAlike(path, { keys: new Map([[key.keyName, otherKey.publicPem]]) })).code, 'SIGNATURE_INVALID');
    const byOther = await put('by-other.apk', (await encodeApk({ ...sampleInput(key), key: otherKey })).bytes);
    assert.equal((await refusedAlike(byOther)).code, 'SIGNATURE_INVALID');
    // allowUntrusted crosses over too
    assert.equal((await pool.read(byOther, { keys, allowUntrusted: true })).signedBy, undefined);
  });

  void test('a changed data stream is refused by its datahash', async () => {
    const bytes = Buffer.from((await encodeApk(sampleInput(key))).bytes);
    const sig = inflateMemberAt(bytes, 0, 't');
    const ctl = inflateMemberAt(bytes, sig.end, 't');
    const at = ctl.end + 40;
    bytes[at] = (bytes[at] ?? 0) ^ 0x55;
    const e = await refusedAlike(await put('datahash.apk', bytes));
    assert.equal(e.code, 'DIGEST_MISMATCH');
    assert.match(e.message, /datahash/);
  });

  void test('a file whose content does not match its SHA-1 is refused', async () => {
    const bytes = await craftApk([dir('etc'), file('etc/a', 'hello', createHash('sha1').update('other').digest('hex'))], key);
    const e = await refusedAlike(await put('sha1.apk', bytes));
    assert.equal(e.code, 'DIGEST_MISMATCH');
    assert.match(e.message, /"etc\/a": content hashes to SHA-1/);
  });

  void test('paths that escape the root are refused', async () => {
    const cases = [[file('../evil', 'x')], [dir('usr'), link('usr/x', 'symlink', '../../etc')], [dir('usr'), link('usr/x', 'link', '../etc/shadow')]];
    for (const [i, entries] of cases.entries()) {
      const e = await refusedAlike(await put(`escape-${i}.apk`, await craftApk(entries, key)));
      assert.equal(e.code, 'PATH_UNSAFE', e.message);
    }
  });

  void test('a missing or truncated file is refused alike', async () => {
    assert.equal((await refusedAlike(join(tmp, 'missing.apk'))).code, 'NOT_FOUND');
    const bytes = (await encodeApk(sampleInput(key))).bytes;
    assert.equal((await refusedAlike(await put('truncated.apk', bytes.subarray(0, bytes.length - 100)))).code, 'DIGEST_MISMATCH');
  });

  void test('a reader thread that dies fails its read clearly, and the next read works', async () => {
    const crashing = new ApkReaderPool({ size: 1, workerUrl: new URL('./apk-reader-test-worker.ts', import.meta.url) });
    try {
      const good = join(tmp, 'hello-2.12.1-r0.apk');
      await writeApk(good, sampleInput(key));
      const exited = await errorOf(crashing.read(join(tmp, 'exit.apk'), { keys }));
      assert.equal(exited.code, 'IO');
      assert.match(exited.message, /exit\.apk: the APK reader thread exited with code 9 before it finished reading the package$/);
      assert.equal((await crashing.read(good, { keys })).info.name, 'hello');
      const threw = await errorOf(crashing.read(join(tmp, 'throw.apk'), { keys }));
      assert.equal(threw.code, 'IO');
      assert.match(threw.message, /throw\.apk: the APK reader thread failed with Error: the test reader fails on purpose/);
      // a read queued behind the one that killed its thread gets a fresh thread
      const [dead, next] = await Promise.allSettled([crashing.read(join(tmp, 'exit.apk'), { keys }), crashing.read(good, { keys })]);
      assert.equal(dead.status, 'rejected');
      assert.equal(next.status === 'fulfilled' ? next.value.info.name : next.reason, 'hello');
    } finally {
      await crashing.close();
    }
  });

  void test('readWhileStarting reads on the calling thread until a reader thread is up, then on the threads', async () => {
    // the test reader dies on exit.apk, which the calling thread reads (and refuses) like any missing package
    const starting = new ApkReaderPool({ size: 1, readWhileStarting: true, workerUrl: new URL('./apk-reader-test-worker.ts', import.meta.url) });
    try {
      const good = join(tmp, 'hello-2.12.1-r0.apk');
      await writeApk(good, sampleInput(key));
      const exit = join(tmp, 'exit.apk');
      assert.equal((await errorOf(starting.read(exit, { keys }))).code, 'NOT_FOUND', 'read here, before any thread is up');
      // reads at once: one here at a time, the rest on the thread once it is up; each as readApk reads it
      const direct = await readApk(good, { keys });
      for (const apk of await Promise.all(Array.from({ length: 4 }, () => starting.read(good, { keys })))) assert.deepEqual(apk, direct);
      let e = await errorOf(starting.read(exit, { keys }));
      for (let i = 0; i < 100 && e.code === 'NOT_FOUND'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        e = await errorOf(starting.read(exit, { keys }));
      }
      assert.equal(e.code, 'IO', 'read on the thread once it is up');
      assert.match(e.message, /exit\.apk: the APK reader thread exited with code 9/);
    } finally {
      await starting.close();
    }
  });

  void test('closing the pool fails the reads still waiting, and later ones', async () => {
    const closing = new ApkReaderPool({ size: 1 });
    const path = join(tmp, 'hello-2.12.1-r0.apk');
    await writeApk(path, sampleInput(key));
    const reads = Promise.allSettled([closing.read(path, { keys }), closing.read(path, { keys })]);
    await closing.close();
    for (const r of await reads) {
      assert.equal(r.status, 'rejected');
      assert.match(String(r.status === 'rejected' && r.reason), /the APK reader pool was closed before the package was read/);
    }
    assert.equal((await errorOf(closing.read(path, { keys }))).code, 'IO');
  });

  void test('an idle pool does not keep a process alive, and a pending read does', async () => {
    const path = join(tmp, 'hello-2.12.1-r0.apk');
    await writeApk(path, sampleInput(key));
    const keyFile = await put('key.pub', Buffer.from(key.publicPem));
    const script = await put(
      'child.mts',
      Buffer.from(
        [
          `import { readFileSync } from 'node:fs';`,
          `import { readApkInWorker, warmApkReaders } from ${JSON.stringify(new URL('./apk-reader-pool.ts', import.meta.url).href)};`,
          `warmApkReaders();`,
          // nothing but the read's thread holds the process open while the read is pending
          `const apk = await readApkInWorker(process.argv[2], { keys: new Map([[${JSON.stringify(key.keyName)}, readFileSync(process.argv[3], 'utf8')]]) });`,
          `console.log(apk.info.name, apk.files.length);`,
        ].join('\n'),
      ),
    );
    const started = performance.now();
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [script, path, keyFile], { encoding: 'utf8', timeout: 30_000 }, (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
    });
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'hello 14\n');
    assert.ok(performance.now() - started < 20_000);
  });
});

void describe('APK reader wire format', () => {
  void test('contents outside one movable buffer are copied across, SHA-1s kept', async () => {
    const read = await readApk(await put('wire.apk', (await encodeApk(sampleInput(key))).bytes), { keys });
    // small Buffers from Node's shared pool, which must never be transferred
    const pooledBytes = { ...read, files: read.files.map((f) => (f.kind === 'file' ? { ...f, content: Buffer.from(f.content) } : f)) };
    const { apk, transfer } = packApk(pooledBytes);
    assert.equal(apk.buffers.length, 1);
    assert.ok(transfer.every((b) => b.byteLength < 1024));
    const back = unpackApk(structuredClone(apk, { transfer }));
    assert.deepEqual(back, pooledBytes);
    // the copies were never checked, so they have no checked SHA-1: nothing is vouched for that was not
    assert.deepEqual(Object.values(checkedSha1s(back)), [undefined, undefined, undefined]);
    const again = unpackApk(structuredClone(packApk(read).apk));
    assert.deepEqual(checkedSha1s(again), checkedSha1s(read));
  });
});

void describe('after-read steps', () => {
  const step = { module: new URL('./apk-after-read-fixture.ts', import.meta.url).href, options: { tag: 'x' } };
  type Seen = { paths: string[]; options: unknown; bytes: Uint8Array };

  void test('run on the package in the reader thread, and on the calling thread while the threads start: the same result', async () => {
    const path = await put('after.apk', await craftApk([dir('etc'), file('etc/a', 'aaa'), file('etc/b', 'bb')], key));
    const expected = { paths: ['etc', 'etc/a', 'etc/b'], options: { tag: 'x' }, size: 5 };
    const onThread = new ApkReaderPool({ size: 1 });
    const whileStarting = new ApkReaderPool({ size: 1, readWhileStarting: true });
    try {
      for (const p of [onThread, whileStarting]) {
        const { apk, after } = await p.readThen(path, { keys }, step);
        const seen = after as Seen;
        assert.deepEqual({ paths: seen.paths, options: seen.options, size: new DataView(seen.bytes.buffer, seen.bytes.byteOffset).getUint32(0) }, expected);
        assert.deepEqual(apk, await readApk(path, { keys }));
      }
    } finally {
      await Promise.all([onThread.close(), whileStarting.close()]);
    }
  });

  void test('a module without afterRead fails the read with USAGE; a refused package never reaches the step', async () => {
    const good = await put('after-good.apk', await craftApk([dir('etc'), file('etc/a', 'a')], key));
    const e = await errorOf(pool.readThen(good, { keys }, { module: new URL('./apk-reader-wire.ts', import.meta.url).href, options: {} }));
    assert.equal(e.code, 'USAGE');
    assert.match(e.message, /exports no afterRead function/);
    const stranger = await put('after-stranger.apk', await craftApk([dir('etc'), file('etc/a', 'a')], otherKey));
    assert.equal((await errorOf(pool.readThen(stranger, { keys }, step))).code, (await errorOf(readApk(stranger, { keys }))).code);
  });
});
