import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sql } from 'kysely';
import type { Digest } from '../oci/index.ts';
import {
  defaultDatabaseUrl,
  digestPackages,
  openDatabase,
  openPgliteDatabase,
  parseDatabaseUrl,
  recordPublication,
} from './index.ts';
import { storeContract } from './store.contract.ts';

// PGlite takes seconds to start on a busy machine; cloning a started one takes a fraction.
// an empty instance to clone from: far quicker than starting a new PGlite per database
const empty = await openDatabase({ url: 'memory:', migrate: false });
const pristine = empty.pglite;
assert.ok(pristine, 'memory: is a PGlite database');
after(() => empty.close());

storeContract('PGlite (in memory)', () =>
  Promise.resolve({
    open: async () => openPgliteDatabase(await pristine.clone()),
    openEmptyPair: async () => {
      // one PGlite is one session: the "two migrators" share it and must queue, not clash
      const db = await openPgliteDatabase(await pristine.clone(), { migrate: false });
      return { first: db, second: db, dispose: () => db.close() };
    },
    dispose: () => Promise.resolve(),
  }),
);

test('PGlite: a Kysely transaction holds the instance; others sharing it wait for the commit', async () => {
  const store = await openPgliteDatabase(await pristine.clone(), { migrate: false });
  try {
    const pglite = store.pglite;
    assert.ok(pglite);
    let outside: Promise<unknown> | undefined;
    let outsideDone = false;
    await store.db.transaction().execute(async (trx) => {
      await sql`create table shared (x integer)`.execute(trx);
      outside = pglite.query<{ n: number }>('select count(*)::int as n from shared').then((r) => {
        outsideDone = true;
        return r.rows[0]?.n;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(outsideDone, false, 'a query from outside ran inside the transaction');
      await sql`insert into shared values (1)`.execute(trx);
    });
    assert.equal(await outside, 1);
    const trx = await store.db.startTransaction().execute();
    await sql`insert into shared values (2)`.execute(trx);
    const sp = await trx.savepoint('undo').execute();
    await sql`insert into shared values (3)`.execute(sp);
    const back = await sp.rollbackToSavepoint('undo').execute();
    await back.commit().execute();
    await assert.rejects(
      store.db.transaction().execute(async (trx) => {
        await sql`insert into shared values (4)`.execute(trx);
        throw new Error('abandon');
      }),
      /abandon/,
    );
    const { rows } = await sql<{ x: number }>`select x from shared order by x`.execute(store.db);
    assert.deepEqual(rows.map((r) => r.x), [1, 2]);
  } finally {
    await store.close();
  }
});

test('PGlite in a directory keeps the history across close and reopen', async () => {
  const state = await mkdtemp(join(tmpdir(), 'kiln-store-'));
  try {
    const url = defaultDatabaseUrl(state);
    assert.equal(url, `pglite:${join(state, 'db')}`);
    const digest = `sha256:${'c'.repeat(64)}` as Digest;
    const first = await openDatabase({ url });
    assert.deepEqual(first.migrations.map((m) => m.status), ['applied']);
    await recordPublication(first.db, {
      image: 'hello',
      line: '2',
      version: '2.12',
      variant: 'prod',
      digest,
      timestampTag: '2.12-20260301T0500Z',
      publishedAt: new Date('2026-03-01T05:00:00Z'),
      trigger: { kind: 'manual', by: 'ops' },
      reason: 'first build',
      inputFingerprint: 'f1',
      previousDigest: null,
      packages: [{ name: 'hello', version: '2.12-r0', arch: 'x86_64', checksum: 'Q1x=', origin: 'hello' }],
      changes: [],
      tags: [],
    });
    await first.close();
    const second = await openDatabase({ url: join(state, 'db') });
    try {
      assert.deepEqual(second.migrations, []);
      assert.equal((await digestPackages(second.db, digest))?.publication.trigger.kind, 'manual');
    } finally {
      await second.close();
    }
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});

test('database URLs: pglite:, memory:, postgres:, paths; anything else is CONFIG_INVALID', () => {
  assert.deepEqual(parseDatabaseUrl('memory:'), { kind: 'memory' });
  assert.deepEqual(parseDatabaseUrl('pglite:/var/kiln/db'), { kind: 'pglite', dir: '/var/kiln/db' });
  assert.deepEqual(parseDatabaseUrl('/var/kiln/db'), { kind: 'pglite', dir: '/var/kiln/db' });
  assert.equal(parseDatabaseUrl('state/db').kind, 'pglite');
  assert.deepEqual(parseDatabaseUrl('postgresql://u@h/kiln'), { kind: 'postgres', url: 'postgresql://u@h/kiln' });
  for (const bad of ['', 'pglite:', 'mysql://h/db', 'sqlite:x.db']) {
    assert.throws(() => parseDatabaseUrl(bad), { code: 'CONFIG_INVALID' }, bad);
  }
});
