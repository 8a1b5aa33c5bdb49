import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import type { TestJob, TestReply } from './test-thread.ts';
import { ThreadPool } from './thread-pool.ts';

const url = new URL('./test-thread.ts', import.meta.url);
const pools: ThreadPool<TestJob, TestReply>[] = [];
function pool(size = 2, depth?: number): ThreadPool<TestJob, TestReply> {
  const p = new ThreadPool<TestJob, TestReply>({ url, name: 'test', size, ...(depth !== undefined && { depth }) });
  pools.push(p);
  return p;
}
after(async () => {
  for (const p of pools) await p.close();
});

/** Runs the script `lines(dir)` in a process of its own (dir is its temporary folder) and returns what it printed. */
async function runChild(lines: (dir: string) => readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-threads-'));
  try {
    const script = join(dir, 'child.ts');
    await writeFile(script, lines(dir).join('\n'));
    const env = { ...process.env };
    delete env.NODE_COMPILE_CACHE; // the pool is what gives its threads a cache
    return execFileSync(process.execPath, [script], { timeout: 20_000, env }).toString();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('ThreadPool', () => {
  test('runs jobs on several threads at once and answers each with its own reply', async () => {
    const p = pool(2);
    const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => p.run({ op: 'sleep', value: 10 + (i % 3) })));
    assert.deepEqual(
      replies.map((r) => r.value),
      Array.from({ length: 12 }, (_, i) => 10 + (i % 3)),
    );
    // two jobs that each wait for the other: they can only both finish on two threads at once
    // (one job per thread, so the second waits for the second thread however slowly it starts)
    const meeting = new Int32Array(new SharedArrayBuffer(4));
    const one = pool(2, 1);
    const met = await Promise.all([1, 2].map(() => one.run({ op: 'meet', value: 2, meeting })));
    assert.deepEqual(met.map((r) => r.value), [2, 2]);
  });

  test('moves buffers both ways instead of copying them', async () => {
    const p = pool(1);
    const bytes = new Uint8Array([1, 2, 3]);
    const reply = await p.run({ op: 'echo', value: 1, bytes }, [bytes.buffer]);
    assert.equal(bytes.byteLength, 0, 'moved to the thread');
    assert.deepEqual([...(reply.bytes ?? [])], [1, 2, 3]);
  });

  test('a job that throws fails alone; the thread goes on', async () => {
    const p = pool(1);
    await assert.rejects(p.run({ op: 'throw', value: 5 }), { code: 'IO', message: /test thread: job 5 failed on purpose/ });
    assert.equal((await p.run({ op: 'echo', value: 6 })).value, 6);
  });

  test('a KilnError thrown in a thread arrives with its code, message and cause', async () => {
    const p = pool(1);
    const e = await p.run({ op: 'kiln-error', value: 4 }).then(
      () => assert.fail('expected the job to fail'),
      (e: unknown) => e,
    );
    assert.ok(e instanceof KilnError, `expected a KilnError, got ${String(e)}`);
    assert.equal(e.code, 'DIGEST_MISMATCH');
    assert.equal(e.message, 'job 4: content hashes to something else');
    assert.equal((e.cause as Error).name, 'RangeError');
    assert.match(e.stack ?? '', /test-thread\.ts/, 'the stack is where the thread threw it');
  });

  test('a thread that dies fails its jobs clearly and is replaced', async () => {
    const p = pool(1);
    const dying = p.run({ op: 'exit', value: 0 });
    const queued = p.run({ op: 'echo', value: 2 });
    await assert.rejects(dying, { code: 'IO', message: /the test thread exited with code 7 during a job/ });
    // the job sent along to the dead thread failed with it, or ran on its replacement
    await queued.then(
      (r) => assert.equal(r.value, 2),
      (e: Error) => assert.match(e.message, /exited with code 7/),
    );
    assert.equal((await p.run({ op: 'echo', value: 3 })).value, 3);
  });

  test('close fails what is waiting and refuses new jobs', async () => {
    const p = pool(1);
    const running = p.run({ op: 'sleep', value: 200 });
    const waiting = [1, 2, 3].map((value) => p.run({ op: 'echo', value }));
    const outcomes = Promise.allSettled([running, ...waiting]);
    await p.close();
    for (const o of await outcomes) assert.equal(o.status === 'rejected' && (o.reason as { code?: string }).code, 'IO');
    await assert.rejects(p.run({ op: 'echo', value: 9 }), { code: 'IO', message: /stopped/ });
  });

  test('a readiness that starts the threads and says when one is up', async () => {
    const p = pool(2);
    assert.equal(p.anyReady, false);
    await p.ready();
    assert.equal(p.anyReady, true);
    await p.close();
    await assert.rejects(p.ready(), { code: 'IO', message: /stopped/ });
  });

  test('threads use the compile cache of the process that starts them', async () => {
    const out = await runChild((dir) => [
      "import { enableCompileCache, getCompileCacheDir } from 'node:module';",
      // enabled by the process, not NODE_COMPILE_CACHE, which threads would inherit from the environment
      `enableCompileCache(${JSON.stringify(join(dir, 'cache'))});`,
      `const { ThreadPool } = await import(${JSON.stringify(new URL('./thread-pool.ts', import.meta.url).pathname)});`,
      `const p = new ThreadPool({ url: new URL(${JSON.stringify(url.href)}), name: 'child', size: 1 });`,
      "const r = await p.run({ op: 'compile-cache', value: 1 });",
      `console.log(JSON.stringify({ main: getCompileCacheDir(), thread: r.compileCacheDir, expected: ${JSON.stringify(join(dir, 'cache'))} }));`,
      'await p.close();',
    ]);
    const { main, thread, expected } = JSON.parse(out) as { main?: string; thread?: string; expected: string };
    assert.ok(main?.startsWith(expected), main);
    assert.equal(thread, main);
  });

  test('an idle pool does not keep the process alive, and a pending job does', async () => {
    const started = Date.now();
    const out = await runChild(() => [
      `import { ThreadPool } from ${JSON.stringify(new URL('./thread-pool.ts', import.meta.url).pathname)};`,
      `const p = new ThreadPool({ url: new URL(${JSON.stringify(url.href)}), name: 'child', size: 2 });`,
      'p.warm();',
      // not awaited: only the pending job keeps the process alive until it answers
      "void p.run({ op: 'sleep', value: 300 }).then((r) => console.log('done', r.value));",
    ]);
    assert.equal(out.trim(), 'done 300');
    assert.ok(Date.now() - started < 15_000);
  });
});
