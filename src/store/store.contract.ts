import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Digest } from '../oci/index.ts';
import {
  changelog,
  diffDigests,
  digestPackages,
  latestPublication,
  migrateToLatest,
  publicationsOf,
  recordCycleResult,
  cycleResults,
  recordPublication,
  searchDigests,
  tagAt,
  tagsOf,
  upsertImage,
  type KilnDatabase,
  type PublicationInput,
} from './index.ts';
import { FailOnInsertInto, cycle, digest, pkg, publication, rejects, uniqueName } from './store-test-fixtures.ts';

/** A fresh, unmigrated database with two handles on it (the same handle twice for PGlite). */
export type EmptyDatabasePair = {
  readonly first: KilnDatabase;
  readonly second: KilnDatabase;
  dispose(): Promise<void>;
};

export type StoreHarness = {
  /** One migrated database, shared by the whole suite. */
  open(): Promise<KilnDatabase>;
  openEmptyPair(): Promise<EmptyDatabasePair>;
  /** Called once after the suite, after every handle from open() was closed. */
  dispose(): Promise<void>;
};

/** The behaviour every database behind src/store must show; run by store-*.test.ts. */
export function storeContract(name: string, harness: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let h: StoreHarness;
    let store: KilnDatabase;
    before(async () => {
      h = await harness();
      store = await h.open();
    });
    after(async () => {
      await store?.close();
      await h?.dispose();
    });

    test('open applies the migrations; running them again is a no-op', async () => {
      assert.deepEqual(store.migrations, [{ name: '0001-history', status: 'applied' }]);
      assert.deepEqual(await migrateToLatest(store.db), []);
    });

    test('two migrators racing on one empty database both succeed, and migrate once', async () => {
      const pair = await h.openEmptyPair();
      try {
        const [a, b] = await Promise.all([migrateToLatest(pair.first.db), migrateToLatest(pair.second.db)]);
        assert.deepEqual([...a, ...b], [{ name: '0001-history', status: 'applied' }]);
        assert.deepEqual(await migrateToLatest(pair.first.db), []);
      } finally {
        await pair.dispose();
      }
    });

    test('a migration that fails is MIGRATION_FAILED, names itself, and leaves nothing behind', async () => {
      const pair = await h.openEmptyPair();
      try {
        await sql`create table images (squatter integer)`.execute(pair.first.db);
        const error = await rejects(() => migrateToLatest(pair.first.db), 'MIGRATION_FAILED');
        assert.match(error.message, /0001-history: failed/);
        const tables = (await pair.first.db.introspection.getTables()).map((t) => t.name);
        // the migration's DDL rolled back with it; only the migrator's bookkeeping stays
        assert.deepEqual(tables.filter((t) => !t.startsWith('kiln_migrations')), ['images']);
      } finally {
        await pair.dispose();
      }
    });

    test('a publication round-trips with its packages, changes and tags', async () => {
      const image = uniqueName('rt');
      const input = publication(image, '1.2.3', digest(), '2026-03-01T05:00:00Z', {
        packages: [pkg('busybox', '1.36.1-r2'), pkg('musl', '1.2.5-r0'), pkg('musl', '1.2.5-r0', 'aarch64')],
        changes: [{ kind: 'upgraded', name: 'musl', from: '1.2.4-r0', to: '1.2.5-r0' }],
        trigger: { kind: 'package-updated', packages: [{ name: 'musl', from: '1.2.4-r0', to: '1.2.5-r0' }, { name: 'zlib', to: '1.3-r0' }] },
        tags: ['1.2.3', '1.2', 'latest'],
        primaryVersion: '1.2.3-r1',
        inputs: { packages: [{ name: 'musl', checksum: 'Q1abc=', arch: 'x86_64' }], configDigest: digest(), variant: 'prod' },
      });
      const recorded = await recordPublication(store.db, input);
      assert.deepEqual(
        recorded.tags.map((t) => [t.tag, t.status, t.from]),
        [['1.2', 'created', null], ['1.2.3', 'created', null], ['latest', 'created', null]],
      );
      const latest = await latestPublication(store.db, { image, line: '1.2', version: '1.2.3', variant: 'prod' });
      assert.ok(latest);
      assert.equal(latest.id, recorded.publication.id);
      assert.equal(latest.digest, input.digest);
      assert.equal(latest.publishedAt.toISOString(), '2026-03-01T05:00:00.000Z');
      assert.deepEqual(latest.trigger, input.trigger);
      assert.equal(latest.inputFingerprint, input.inputFingerprint);
      assert.deepEqual(latest.inputs, input.inputs);
      assert.equal(latest.primaryVersion, '1.2.3-r1');
      assert.equal(latest.previousDigest, null);
      assert.deepEqual(latest.tags.map((t) => t.tag), ['1.2', '1.2.3', 'latest']);
      assert.deepEqual(latest, { ...recorded.publication });
      const packages = await digestPackages(store.db, input.digest);
      assert.deepEqual(
        packages?.packages.map((p) => `${p.name}-${p.version}.${p.arch}`),
        ['busybox-1.36.1-r2.x86_64', 'musl-1.2.5-r0.aarch64', 'musl-1.2.5-r0.x86_64'],
      );
      assert.deepEqual(packages?.packages[0], pkg('busybox', '1.36.1-r2'));
      const log = await changelog(store.db, image, '1.2.3');
      assert.deepEqual(log.entries[0]?.changes, input.changes);
      const tags = await tagsOf(store.db, image);
      assert.deepEqual(
        tags.map((t) => [t.repository, t.tag, t.digest, t.version, t.variant]),
        ['1.2', '1.2.3', 'latest'].map((t) => [`kiln/${image}`, t, input.digest, '1.2.3', 'prod']),
      );
      assert.equal(await digestPackages(store.db, digest()), undefined);
      assert.equal(await latestPublication(store.db, { image, line: '1.2', version: '1.2.3', variant: 'dev' }), undefined);
      // jsonb keeps what JSON keeps: an undefined property (an optional arch) is dropped, not refused
      const noArch: { readonly packages: readonly { name: string; checksum: string; arch?: string }[] } = {
        packages: [{ name: 'musl', checksum: 'Q1abc=', arch: undefined }],
      };
      const loose = await recordPublication(store.db, { ...input, digest: digest(), tags: [], inputs: noArch });
      assert.deepEqual(loose.publication.inputs, { packages: [{ name: 'musl', checksum: 'Q1abc=' }] });
    });

    test('changelog lists every digest of a version, newest first, with trigger, reason and changes', async () => {
      const image = uniqueName('log');
      await upsertImage(store.db, {
        name: image,
        primaryPackage: image,
        versions: [{ line: '3.14', version: '3.14.1', variant: 'prod', maintained: true }],
      });
      const days = ['2026-03-02T05:00:00Z', '2026-03-01T05:00:00Z', '2026-03-03T05:00:00Z'];
      const digests = days.map(() => digest());
      for (const [i, day] of days.entries()) {
        await recordPublication(
          store.db,
          publication(image, '3.14.1', digests[i]!, day, {
            line: '3.14',
            reason: `build ${i}`,
            trigger: i === 2 ? { kind: 'urgent-fix', advisory: 'CVE-2026-0001', packages: ['openssl'] } : { kind: 'schedule' },
            changes: i === 2 ? [{ kind: 'added', name: 'ca-certificates', from: null, to: '20260301-r0' }] : [],
          }),
        );
      }
      await recordPublication(store.db, publication(image, '3.14.2', digest(), '2026-03-04T05:00:00Z', { line: '3.14' }));
      const log = await changelog(store.db, image, '3.14.1');
      assert.deepEqual(
        log.entries.map((e) => [e.digest, e.reason, e.trigger.kind, e.changes.length]),
        [
          [digests[2], 'build 2', 'urgent-fix', 1],
          [digests[0], 'build 0', 'schedule', 0],
          [digests[1], 'build 1', 'schedule', 0],
        ],
      );
      assert.equal(log.entries[0]?.timestampTag, '3.14.1-20260303T0500Z');
      const latest = await latestPublication(store.db, { image, line: '3.14', version: '3.14.1', variant: 'prod' });
      assert.equal(latest?.digest, digests[2]);
      assert.deepEqual((await changelog(store.db, image, '9.9')).entries, []);
      const all = await publicationsOf(store.db, image);
      assert.deepEqual(all.map((p) => p.version), ['3.14.2', '3.14.1', '3.14.1', '3.14.1']);
      assert.deepEqual(all.map((p) => p.digest).slice(1), [digests[2], digests[0], digests[1]]);
      assert.deepEqual(all[3]?.inputs, null);
      assert.deepEqual(await publicationsOf(store.db, image, { variant: 'dev' }), []);
    });

    test('diff reports added, removed, upgraded and downgraded in APK version order', async () => {
      const image = uniqueName('diff');
      const a = digest();
      const b = digest();
      await recordPublication(
        store.db,
        publication(image, '1', a, '2026-03-01T00:00:00Z', {
          packages: [pkg('libfoo', '1.9-r0'), pkg('libbar', '2.0-r1'), pkg('gone', '1-r0'), pkg('same', '1-r0'), pkg('odd', 'x~1')],
        }),
      );
      await recordPublication(
        store.db,
        publication(image, '1', b, '2026-03-02T00:00:00Z', {
          packages: [pkg('libfoo', '1.10-r0'), pkg('libbar', '2.0-r0'), pkg('new', '0.1-r0'), pkg('same', '1-r0'), pkg('odd', 'x~2')],
        }),
      );
      const diff = await diffDigests(store.db, a, b);
      assert.deepEqual(diff.changes, [
        { kind: 'removed', name: 'gone', from: '1-r0', to: null },
        { kind: 'downgraded', name: 'libbar', from: '2.0-r1', to: '2.0-r0' },
        { kind: 'upgraded', name: 'libfoo', from: '1.9-r0', to: '1.10-r0' },
        { kind: 'added', name: 'new', from: null, to: '0.1-r0' },
        { kind: 'upgraded', name: 'odd', from: 'x~1', to: 'x~2' },
      ]);
      assert.deepEqual((await diffDigests(store.db, b, a)).changes.map((c) => c.kind), [
        'added',
        'upgraded',
        'downgraded',
        'removed',
        'downgraded',
      ]);
      await rejects(() => diffDigests(store.db, a, digest()), 'NOT_FOUND');
      await rejects(() => diffDigests(store.db, a, 'latest'), 'DIGEST_INVALID');
    });

    test('search by fragment: unique, ambiguous, too short, with sha256: prefix', async () => {
      const image = uniqueName('search');
      const one = `sha256:beefcafe01${'0'.repeat(54)}` as Digest;
      const two = `sha256:beefcafe02${'1'.repeat(54)}` as Digest;
      await recordPublication(store.db, publication(image, '1', one, '2026-03-01T00:00:00Z'));
      await recordPublication(store.db, publication(image, '1', two, '2026-03-02T00:00:00Z'));
      await recordPublication(store.db, publication(image, '1', one, '2026-03-03T00:00:00Z')); // republished
      const unique = await searchDigests(store.db, 'beefcafe01');
      assert.deepEqual(unique.matches.map((m) => [m.digest, m.publishedAt.toISOString()]), [[one, '2026-03-03T00:00:00.000Z']]);
      const several = await searchDigests(store.db, 'BEEFCAFE');
      assert.deepEqual(several.matches.map((m) => m.digest), [one, two]);
      assert.equal(several.truncated, false);
      assert.equal((await searchDigests(store.db, 'beefcafe', { limit: 1 })).truncated, true);
      assert.deepEqual((await searchDigests(store.db, 'sha256:beefcafe02')).matches.map((m) => m.digest), [two]);
      assert.deepEqual((await searchDigests(store.db, 'sha512:beefcafe02')).matches, []);
      assert.deepEqual((await searchDigests(store.db, 'beefcafe03')).matches, []);
      await rejects(() => searchDigests(store.db, 'bee'), 'INPUT_INVALID');
      await rejects(() => searchDigests(store.db, 'beef%'), 'INPUT_INVALID');
      await rejects(() => searchDigests(store.db, 'md5:beefcafe'), 'INPUT_INVALID');
    });

    test('tag moves are recorded and tagAt answers for any time', async () => {
      const image = uniqueName('tags');
      const [d1, d2, d3] = [digest(), digest(), digest()];
      const first = await recordPublication(store.db, publication(image, '3.14.1', d1, '2026-02-01T05:00:00Z', { tags: ['3.14', '3.14.1'] }));
      assert.deepEqual(first.tags.map((t) => t.status), ['created', 'created']);
      const second = await recordPublication(
        store.db,
        publication(image, '3.14.1', d2, '2026-03-01T05:00:00Z', { tags: ['3.14', '3.14.1'], previousDigest: d1 }),
      );
      assert.deepEqual(second.tags.map((t) => [t.status, t.from]), [['moved', d1], ['moved', d1]]);
      const third = await recordPublication(
        store.db,
        publication(image, '3.14.2', d3, '2026-03-10T05:00:00Z', { tags: ['3.14', '3.14.2'] }),
      );
      assert.deepEqual(third.tags.map((t) => [t.tag, t.status]), [['3.14', 'moved'], ['3.14.2', 'created']]);
      const again = await recordPublication(store.db, publication(image, '3.14.2', d3, '2026-03-11T05:00:00Z', { tags: ['3.14'] }));
      assert.deepEqual(again.tags.map((t) => t.status), ['unchanged']);
      const repo = `kiln/${image}`;
      const at = async (time: string): Promise<Digest | null> => (await tagAt(store.db, repo, '3.14', new Date(time))).digest;
      assert.equal(await at('2026-01-31T00:00:00Z'), null);
      assert.equal(await at('2026-02-01T05:00:00Z'), d1); // at the instant of the move
      assert.equal(await at('2026-02-15T00:00:00Z'), d1);
      assert.equal(await at('2026-03-01T00:00:00Z'), d1); // 1 March, before the daily build
      assert.equal(await at('2026-03-01T12:00:00Z'), d2);
      assert.equal(await at('2026-04-01T00:00:00Z'), d3);
      assert.equal((await tagAt(store.db, repo, '3.14', new Date('2026-03-05T00:00:00Z'))).since?.toISOString(), '2026-03-01T05:00:00.000Z');
      assert.equal(await tagAt(store.db, repo, 'nope', new Date()).then((t) => t.digest), null);
      const current = await tagsOf(store.db, image);
      assert.deepEqual(
        current.map((t) => [t.tag, t.digest, t.version]),
        [['3.14', d3, '3.14.2'], ['3.14.1', d2, '3.14.1'], ['3.14.2', d3, '3.14.2']],
      );
    });

    test('concurrent publications moving one tag leave an unbroken chain of moves', async () => {
      const image = uniqueName('race');
      const digests = Array.from({ length: 6 }, () => digest());
      const outcomes = await Promise.all(
        digests.map((d, i) =>
          recordPublication(store.db, publication(image, '1', d, `2026-03-0${i + 1}T00:00:00Z`, { tags: ['1', 'latest'] })),
        ),
      );
      assert.equal(outcomes.flatMap((o) => o.tags).filter((t) => t.status === 'created').length, 2);
      for (const tag of ['1', 'latest']) {
        const moves = await store.db
          .selectFrom('tag_moves')
          .select(['from_digest', 'to_digest'])
          .where('repository', '=', `kiln/${image}`)
          .where('tag', '=', tag)
          .orderBy('id')
          .execute();
        assert.equal(moves.length, digests.length);
        assert.equal(moves[0]?.from_digest, null);
        for (let i = 1; i < moves.length; i++) assert.equal(moves[i]?.from_digest, moves[i - 1]?.to_digest);
        const current = (await tagsOf(store.db, image)).find((t) => t.tag === tag);
        assert.equal(current?.digest, moves.at(-1)?.to_digest);
      }
    });

    test('a failure mid-recordPublication leaves nothing half-written', async () => {
      const image = uniqueName('atomic');
      const old = digest();
      await recordPublication(store.db, publication(image, '1', old, '2026-03-01T00:00:00Z', { tags: ['1'] }));
      const failing = store.db.withPlugin(new FailOnInsertInto('tag_moves'));
      const d = digest();
      const input = publication(image, '1', d, '2026-03-02T00:00:00Z', {
        tags: ['1', 'new-tag'],
        packages: [pkg('musl', '1.2.5-r0')],
        changes: [{ kind: 'added', name: 'musl', from: null, to: '1.2.5-r0' }],
      });
      await rejects(() => recordPublication(failing, input), 'DATABASE_FAILED');
      assert.equal(await digestPackages(store.db, d), undefined);
      assert.deepEqual((await changelog(store.db, image, '1')).entries.map((e) => e.digest), [old]);
      assert.deepEqual((await searchDigests(store.db, d)).matches, []);
      const tags = await tagsOf(store.db, image);
      assert.deepEqual(tags.map((t) => [t.tag, t.digest]), [['1', old]]);
      const orphans = await store.db
        .selectFrom('publication_packages')
        .leftJoin('publications', 'publications.id', 'publication_packages.publication_id')
        .where('publications.id', 'is', null)
        .select('publication_packages.name')
        .execute();
      assert.deepEqual(orphans, []);
      // and the store still works afterwards (the connection was given back)
      await recordPublication(store.db, input);
      assert.equal((await digestPackages(store.db, d))?.packages.length, 1);
    });

    test('bad input is rejected at the boundary, before any write', async () => {
      const image = uniqueName('bad');
      const good = publication(image, '1', digest(), '2026-03-01T00:00:00Z');
      const cases: readonly [Partial<PublicationInput>, string][] = [
        [{ digest: 'sha256:abc' as Digest }, 'digest'],
        [{ digest: 'latest' as Digest }, 'digest'],
        [{ previousDigest: `SHA256:${'a'.repeat(64)}` as Digest }, 'previousDigest'],
        [{ variant: 'debug' as 'dev' }, 'variant'],
        [{ publishedAt: new Date('not a date') }, 'publishedAt'],
        [{ timestampTag: 'has space' }, 'timestampTag'],
        [{ trigger: { kind: 'cron' } as never }, 'trigger'],
        [{ changes: [{ kind: 'added', name: 'x', from: '1', to: '2' }] }, 'changes[0]'],
        [{ packages: [pkg('musl', '1'), pkg('musl', '2')] }, 'packages[1]'],
      ];
      for (const [patch, field] of cases) {
        const error = await rejects(() => recordPublication(store.db, { ...good, ...patch }), 'INPUT_INVALID');
        assert.match(error.message, new RegExp(field.replace(/[[\]]/g, '\\$&')), field);
      }
      assert.deepEqual((await changelog(store.db, image, '1')).entries, []);
      await rejects(() => digestPackages(store.db, 'sha256:zz'), 'DIGEST_INVALID');
      await rejects(
        () => recordCycleResult(store.db, { ...cycle('c0', image), digest: 'nope' as Digest }),
        'INPUT_INVALID',
      );
    });

    test('cycle results are appended and listed per cycle', async () => {
      const image = uniqueName('cycle');
      const cycleId = uniqueName('cycle-id');
      const d = digest();
      await recordCycleResult(store.db, { ...cycle(cycleId, image), status: 'published', reason: 'musl 1.2.4-r0 → 1.2.5-r0', digest: d });
      await recordCycleResult(store.db, { ...cycle(cycleId, image), version: '2', status: 'failed', reason: 'test failed' });
      const results = await cycleResults(store.db, cycleId);
      assert.deepEqual(results.map((r) => [r.version, r.status, r.digest]), [['1', 'published', d], ['2', 'failed', null]]);
      assert.equal(results[0]?.at.toISOString(), '2026-03-01T05:00:00.000Z');
    });
  });
}
