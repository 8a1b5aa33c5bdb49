import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../registry/index.ts';
import { defaultDatabaseUrl, openDatabase } from '../store/index.ts';
import { startPublicationHoldingProxy, type PublicationHoldingProxy } from '../testing/index.ts';
import { createTestFactory, type TestFactory } from '../factory/run/test-factory.ts';

// kiln serve on its embedded database, killed in the middle of a publication and started
// again: the interrupted image job is taken up again and the publication completes.
const MAIN = join(import.meta.dirname, 'main.ts');
let factory: TestFactory;
let registry: RunningRegistry;
let proxy: PublicationHoldingProxy;
let storage: string;

before(async () => {
  storage = await mkdtemp(join(tmpdir(), 'kiln-serve-restart-'));
  registry = await startRegistry({ storageDir: storage, host: '127.0.0.1', port: 0 });
  proxy = await startPublicationHoldingProxy(`http://${registry.host}`);
  factory = await createTestFactory();
  await writeFile(factory.configFile, `state: state\ncatalog: catalog\npublish:\n  registry:\n    prefix: ${proxy.host}/restart\n`);
});
after(async () => {
  await proxy?.close();
  await registry?.close();
  await factory?.cleanup();
  await rm(storage, { recursive: true, force: true });
});

function serve(): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', factory.configFile, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', r)) };
}

test('kiln serve killed mid-publication: the next start reclaims the job at once and the publication completes', { timeout: 180_000 }, async () => {
  const held = proxy.holdManifests();
  const first = serve();
  await held;
  first.child.kill('SIGKILL');
  await first.exited;
  proxy.release();
  // the blobs went up, the manifest never arrived: the repository has no tag
  const before = (await (await fetch(`http://${registry.host}/v2/restart/app/tags/list`)).json()) as { tags: string[] };
  assert.deepEqual(before.tags, [], 'no tag while the publication was incomplete');

  const second = serve();
  try {
    const end = Date.now() + 120_000;
    while (!/"status":"published"/.test(second.out())) {
      if (Date.now() > end) assert.fail(`no publication after the restart:\n${second.out()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    second.child.kill('SIGTERM');
  }
  assert.equal(await second.exited, 0, second.out());
  // reclaimed at start (the database is this process's alone), not after a heartbeat timeout
  assert.match(second.out(), /"event":"job-reclaimed","queue":"kiln-image"/);
  const tags = (await (await fetch(`http://${registry.host}/v2/restart/app/tags/list`)).json()) as { tags: string[] };
  assert.ok(tags.tags.includes('1.0') && tags.tags.includes('latest'), JSON.stringify(tags));
  const store = await openDatabase({ url: defaultDatabaseUrl(factory.stateDir) });
  try {
    const pubs = await store.db.selectFrom('publications').select(['image']).execute();
    assert.deepEqual(pubs, [{ image: 'app' }], 'published and recorded once');
  } finally {
    await store.close();
  }
});
