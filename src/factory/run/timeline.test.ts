import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startRegistry } from '../../registry/index.ts';
import { changelog, cycleResults, defaultDatabaseUrl, diffDigests, openDatabase, tagsOf } from '../../store/index.ts';
import { createTestDatabase, testPostgresProblem, type TestDatabase } from '../../store/postgres-test-database.ts';
import { loadKilnConfig } from '../kiln-config.ts';
import { runFactory, type FactoryRun } from './run-factory.ts';
import { createTestFactory, type TestFactory } from './test-factory.ts';

const run = promisify(execFile);
const day = (n: number): string => `2026-03-0${n}T02:00:00.000Z`;
const stamp = (n: number): string => `2026030${n}0200`;

/**
 * Five daily cycles with `--now`, the repository changing in between; every assertion
 * reads what a user would: the results, the history database, the registry's tags.
 */
function timeline(name: string, database: () => Promise<{ readonly url?: string; readonly drop?: () => Promise<void> }>): void {
  describe(`factory run timeline (${name})`, () => {
    let factory: TestFactory;
    let dbUrl: string;
    let drop: (() => Promise<void>) | undefined;
    const runs: FactoryRun[] = [];
    const cycle = async (n: number): Promise<FactoryRun> => {
      const result = await runFactory({ config: await loadKilnConfig(factory.configFile), now: day(n), trigger: { kind: 'schedule' }, env: {} });
      runs.push(result);
      return result;
    };
    const summary = (r: FactoryRun): string[] => r.results.map((x) => `${x.status} ${x.image}: ${x.reason}`);

    before(async () => {
      const db = await database();
      factory = await createTestFactory(db.url !== undefined ? { database: db.url } : {});
      drop = db.drop;
      dbUrl = db.url ?? defaultDatabaseUrl(factory.stateDir);
    });
    after(async () => {
      await factory.cleanup();
      await drop?.();
    });

    test('day 1: the first build gets its version, timestamp and floating tags', async () => {
      const r = await cycle(1);
      assert.equal(r.results.length, 1, summary(r).join('\n'));
      const [app] = r.results;
      assert.equal(app?.status, 'published', app?.reason);
      assert.equal(app?.image, 'app:1.0');
      assert.match(app?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(app?.tags, ['1.0', `1.0-${stamp(1)}`, 'latest', '1']);
    });

    test('day 2: nothing changed, so nothing is built or tagged', async () => {
      const r = await cycle(2);
      assert.deepEqual(summary(r), ['skipped app:1.0: no package changed']);
    });

    test('day 3: a rebuilt dependency gives a new digest under the same version tag', async () => {
      await factory.add([{ name: 'libfoo', version: '1.0-r1' }]);
      const r = await cycle(3);
      const [app] = r.results;
      assert.equal(app?.status, 'published', app?.reason);
      assert.equal(app?.image, 'app:1.0');
      assert.match(app?.reason ?? '', /libfoo 1\.0-r0 → 1\.0-r1/);
      assert.notEqual(app?.digest, runs[0]?.results[0]?.digest);
      assert.deepEqual(app?.tags, ['1.0', `1.0-${stamp(3)}`, 'latest', '1']);
    });

    test('day 4: a new upstream version gets its own version tag and takes the floating ones', async () => {
      await factory.add([{ name: 'app', version: '1.1-r0', depends: ['libfoo'] }]);
      const r = await cycle(4);
      const byImage = new Map(r.results.map((x) => [x.image, x]));
      const app11 = byImage.get('app:1.1');
      assert.equal(app11?.status, 'published', app11?.reason);
      assert.deepEqual(app11?.tags, ['1.1', `1.1-${stamp(4)}`, 'latest', '1']);
      assert.equal(byImage.get('app:1.0')?.status, 'skipped');
      assert.equal(byImage.get('app:1.0')?.reason, 'unmaintained: superseded by 1.1');
    });

    test('day 5: the old version stays frozen, the new one is unchanged', async () => {
      const r = await cycle(5);
      const byImage = new Map(r.results.map((x) => [x.image, x]));
      assert.deepEqual([...byImage.keys()].sort(), ['app:1.0', 'app:1.1']);
      assert.equal(byImage.get('app:1.1')?.reason, 'no package changed');
      assert.equal(byImage.get('app:1.0')?.status, 'skipped');
      assert.equal(byImage.get('app:1.0')?.reason, 'unmaintained: superseded by 1.1');
    });

    test('the history database tells the same story', async () => {
      const store = await openDatabase({ url: dbUrl });
      try {
        const d1 = runs[0]?.results[0]?.digest ?? '';
        const d3 = runs[2]?.results[0]?.digest ?? '';
        const d4 = runs[3]?.results.find((x) => x.image === 'app:1.1')?.digest ?? '';
        const log10 = await changelog(store.db, 'app', '1.0');
        assert.deepEqual(log10.entries.map((e) => [e.digest, e.timestampTag]), [[d3, `1.0-${stamp(3)}`], [d1, `1.0-${stamp(1)}`]]);
        assert.deepEqual(log10.entries[0]?.changes, [{ kind: 'upgraded', name: 'libfoo', from: '1.0-r0', to: '1.0-r1' }]);
        assert.equal(log10.entries[0]?.previousDigest, d1);
        const log11 = await changelog(store.db, 'app', '1.1');
        assert.deepEqual(log11.entries[0]?.changes, [{ kind: 'upgraded', name: 'app', from: '1.0-r0', to: '1.1-r0' }]);
        assert.equal(log11.entries[0]?.trigger.kind, 'schedule');
        // the day-2 digest is the day-1 digest: nothing was published that day
        const diff = await diffDigests(store.db, d1, d3);
        assert.deepEqual(diff.changes, [{ kind: 'upgraded', name: 'libfoo', from: '1.0-r0', to: '1.0-r1' }]);
        const tags = new Map((await tagsOf(store.db, 'app')).map((t) => [t.tag, t.digest]));
        assert.equal(tags.get('1.0'), d3);
        assert.equal(tags.get(`1.0-${stamp(1)}`), d1);
        assert.equal(tags.get('1.1'), d4);
        assert.equal(tags.get('latest'), d4);
        assert.equal(tags.get('1'), d4);
        const day2 = await cycleResults(store.db, runs[1]?.cycleId ?? '');
        assert.deepEqual(day2.map((x) => [x.version, x.status, x.reason, x.digest]), [['1.0', 'skipped', 'no package changed', null]]);
      } finally {
        await store.close();
      }
    });

    test('the registry has every version, timestamp and floating tag (skopeo list-tags)', async () => {
      const registry = await startRegistry({ storageDir: join(factory.stateDir, 'registry'), host: '127.0.0.1', port: 0 });
      try {
        const { stdout } = await run('skopeo', ['list-tags', '--tls-verify=false', `docker://${registry.host}/app`]);
        const all = (JSON.parse(stdout) as { Tags: string[] }).Tags;
        const listed = all.filter((t) => !t.startsWith('sha256-'));
        assert.deepEqual(listed.sort(), ['1', '1.0', `1.0-${stamp(1)}`, `1.0-${stamp(3)}`, '1.1', `1.1-${stamp(4)}`, 'latest'].sort());
        // every published digest was signed (cosign's tag form) before it was tagged
        for (const r of runs.flatMap((x) => x.results).filter((x) => x.status === 'published')) {
          assert.ok(all.includes(`${(r.digest ?? '').replace(':', '-')}.sig`), `${r.image} ${r.digest} has no signature tag`);
        }
        const { stdout: inspect } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/app:latest`]);
        assert.match(inspect, /"mediaType"/);
      } finally {
        await registry.close();
      }
    });
  });
}

timeline('PGlite', () => Promise.resolve({}));

const skipPostgres = process.env['KILN_SKIP_POSTGRES'] === '1';
if (!skipPostgres) {
  let db: TestDatabase | undefined;
  timeline('PostgreSQL', async () => {
    const problem = await testPostgresProblem();
    if (problem !== undefined) throw problem;
    db = await createTestDatabase();
    return { url: db.url, drop: () => db?.drop() ?? Promise.resolve() };
  });
}
