import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import type { TagPolicy } from './catalog-image.ts';
import { planTags } from './tag-policy.ts';
import { digest, publication, v } from './test-fixtures.ts';
import { timestampTag } from './timestamp-tag.ts';
import { versionSeries } from './image-version.ts';

const ALL: TagPolicy = { floating: ['latest', 'major', 'minor'] };
const A = digest('a');
const B = digest('b');
const C = digest('c');
const D = digest('d');

const nginx1274 = publication({ image: 'nginx', line: '1.27', primaryVersion: '1.27.4-r0', digest: A, at: '2025-03-01T02:00:17Z', tags: ['1.27.4', '1.27.4-202503010200'] });

describe('tag policy', () => {
  test('first publication: version tag, a timestamp tag too, every floating tag created', () => {
    const plan = planTags([], { image: 'nginx', line: '1.27', variant: 'prod', primaryVersion: v('1.27.4-r0'), digest: A, at: '2025-03-01T02:00:17Z' }, ALL);
    assert.deepEqual(plan, {
      version: '1.27.4',
      versionTag: '1.27.4',
      timestampTag: '1.27.4-202503010200',
      floating: [
        { tag: 'latest', kind: 'latest' },
        { tag: '1', kind: 'major' },
        { tag: '1.27', kind: 'minor' },
      ],
      firstOfVersion: true,
      tags: ['1.27.4', '1.27.4-202503010200', 'latest', '1', '1.27'],
    });
  });

  test('same version, new digest: version tag kept and moved, a new timestamp tag, floating tags move from the old digest', () => {
    const plan = planTags([nginx1274], { image: 'nginx', line: '1.27', variant: 'prod', primaryVersion: v('1.27.4-r1'), digest: B, at: '2025-03-07T00:38:59Z' }, ALL);
    assert.deepEqual(plan, {
      version: '1.27.4',
      versionTag: '1.27.4',
      versionTagFrom: A,
      timestampTag: '1.27.4-202503070038',
      floating: [
        { tag: 'latest', kind: 'latest', from: A },
        { tag: '1', kind: 'major', from: A },
        { tag: '1.27', kind: 'minor', from: A },
      ],
      firstOfVersion: false,
      tags: ['1.27.4', '1.27.4-202503070038', 'latest', '1', '1.27'],
    });
  });

  test('a timestamp tag already taken: the next free minute', () => {
    const history = [
      nginx1274,
      publication({ image: 'nginx', line: '1.27', primaryVersion: '1.27.4-r1', digest: B, at: '2025-03-07T00:38:01Z', tags: ['1.27.4', '1.27.4-202503070038'] }),
      publication({ image: 'nginx', line: '1.27', primaryVersion: '1.27.4-r1', digest: C, at: '2025-03-07T00:38:30Z', tags: ['1.27.4', '1.27.4-202503070039'] }),
    ];
    const plan = planTags(history, { image: 'nginx', line: '1.27', variant: 'prod', primaryVersion: v('1.27.4-r2'), digest: D, at: '2025-03-07T00:38:45Z' }, ALL);
    assert.equal(plan.timestampTag, '1.27.4-202503070040');
    assert.equal(plan.versionTagFrom, C, 'the version tag moves from the newest digest of the version');
    assert.deepEqual(plan.floating.map((f) => f.from), [C, C, C]);
  });

  test('new version: new version tag, floating tags move, the old version is superseded (frozen)', () => {
    const plan = planTags([nginx1274], { image: 'nginx', line: '1.27', variant: 'prod', primaryVersion: v('1.27.5-r0'), digest: B, at: '2025-03-10T02:00:00Z' }, ALL);
    assert.equal(plan.versionTag, '1.27.5');
    assert.equal(plan.versionTagFrom, undefined);
    assert.equal(plan.firstOfVersion, true);
    assert.equal(plan.supersedes, '1.27.4');
    assert.deepEqual(plan.tags, ['1.27.5', '1.27.5-202503100200', 'latest', '1', '1.27']);
    assert.deepEqual(plan.floating.map((f) => f.from), [A, A, A]);
  });

  test('a publication on an older line never moves latest, nor a major tag a newer line holds', () => {
    const history = [
      nginx1274,
      publication({ image: 'nginx', line: '1.26', primaryVersion: '1.26.3-r0', digest: B, at: '2025-03-01T02:01:00Z', tags: ['1.26.3', '1.26.3-202503010201'] }),
    ];
    const plan = planTags(history, { image: 'nginx', line: '1.26', variant: 'prod', primaryVersion: v('1.26.3-r1'), digest: C, at: '2025-03-07T02:00:00Z' }, ALL);
    assert.deepEqual(plan.tags, ['1.26.3', '1.26.3-202503070200', '1.26']);
    assert.deepEqual(plan.floating, [{ tag: '1.26', kind: 'minor', from: B }]);
    assert.equal(plan.supersedes, undefined);
  });

  test('major tags follow the newest version of the major across lines; a new major starts its own', () => {
    const history = [
      publication({ image: 'python', line: '3.13', primaryVersion: '3.13.2-r0', digest: A, at: '2025-03-01T02:00:00Z' }),
      publication({ image: 'python', line: '3.14', primaryVersion: '3.14.1-r0', digest: B, at: '2025-03-01T02:00:00Z' }),
    ];
    const on314 = planTags(history, { image: 'python', line: '3.14', variant: 'prod', primaryVersion: v('3.14.2-r0'), digest: C, at: '2025-03-02T02:00:00Z' }, ALL);
    assert.deepEqual(on314.floating, [
      { tag: 'latest', kind: 'latest', from: B },
      { tag: '3', kind: 'major', from: B },
      { tag: '3.14', kind: 'minor', from: B },
    ]);
    const on4 = planTags(history, { image: 'python', line: '4.0', variant: 'prod', primaryVersion: v('4.0.0-r0'), digest: D, at: '2025-03-02T02:00:00Z' }, ALL);
    assert.deepEqual(on4.floating, [
      { tag: 'latest', kind: 'latest', from: B },
      { tag: '4', kind: 'major' },
      { tag: '4.0', kind: 'minor' },
    ]);
  });

  test('dev variant: -dev before the timestamp, floating tags with -dev, prod history does not count', () => {
    const history = [publication({ image: 'app', line: '8.17', primaryVersion: '8.17.2-r0', digest: A, at: '2025-03-01T00:00:00Z', tags: ['8.17.2', '8.17.2-202503010000'] })];
    const first = planTags(history, { image: 'app', line: '8.17', variant: 'dev', primaryVersion: v('8.17.2-r0'), digest: B, at: '2025-03-04T00:32:10Z' }, ALL);
    assert.deepEqual(first.tags, ['8.17.2-dev', '8.17.2-dev-202503040032', 'latest-dev', '8-dev', '8.17-dev']);
    assert.equal(first.firstOfVersion, true);
    assert.deepEqual(first.floating.map((f) => f.from), [undefined, undefined, undefined]);
    const devHistory = [...history, publication({ image: 'app', line: '8.17', variant: 'dev', primaryVersion: '8.17.2-r0', digest: B, at: '2025-03-04T00:32:10Z', tags: first.tags.slice(0, 2) })];
    const again = planTags(devHistory, { image: 'app', line: '8.17', variant: 'dev', primaryVersion: v('8.17.2-r0'), digest: C, at: '2025-03-05T00:32:00Z' }, ALL);
    assert.equal(again.versionTagFrom, B);
    assert.deepEqual(again.tags, ['8.17.2-dev', '8.17.2-dev-202503050032', 'latest-dev', '8-dev', '8.17-dev']);
  });

  test("another image's publications neither hold back its floating tags nor take its timestamp tags", () => {
    const redis = publication({ image: 'redis', line: '7.4', primaryVersion: '7.4.2-r0', digest: B, at: '2025-03-01T02:00:00Z', tags: ['1.27.4-202503070038'] });
    const plan = planTags([nginx1274, redis], { image: 'nginx', line: '1.27', variant: 'prod', primaryVersion: v('1.27.4-r1'), digest: C, at: '2025-03-07T00:38:00Z' }, ALL);
    assert.deepEqual(plan.tags, ['1.27.4', '1.27.4-202503070038', 'latest', '1', '1.27']);
  });

  test('the policy picks the floating kinds; a floating tag equal to the version tag is left out', () => {
    const plan = planTags([], { image: 'nginx', line: '3.14', variant: 'prod', primaryVersion: v('3.14-r0'), digest: A, at: '2025-03-01T02:00:00Z' }, ALL);
    assert.deepEqual(plan.tags, ['3.14', '3.14-202503010200', 'latest', '3']);
    const latestOnly = planTags([], { image: 'nginx', line: '1.27', variant: 'prod', primaryVersion: v('1.27.4-r0'), digest: A, at: '2025-03-01T02:00:00Z' }, { floating: ['latest'] });
    assert.deepEqual(latestOnly.tags, ['1.27.4', '1.27.4-202503010200', 'latest']);
    const none = planTags([], { image: 'nginx', line: '1.27', variant: 'prod', primaryVersion: v('1.27.4-r0'), digest: A, at: '2025-03-01T02:00:00Z' }, { floating: [] });
    assert.deepEqual(none.tags, ['1.27.4', '1.27.4-202503010200']);
  });
});

describe('timestamp tags and version series', () => {
  test('UTC to the minute, zone offsets honoured, collisions roll over hours and days', () => {
    assert.equal(timestampTag('1.27.4', '2025-03-07T02:38:59+02:00', new Set()), '1.27.4-202503070038');
    assert.equal(timestampTag('1.27.4', '2025-12-31T23:59:00Z', new Set(['1.27.4-202512312359'])), '1.27.4-202601010000');
    assert.throws(() => timestampTag('1.27.4', 'yesterday', new Set()), (e: unknown) => e instanceof KilnError && e.code === 'USAGE');
  });

  test('series of a version', () => {
    assert.deepEqual(versionSeries(v('3.14.4')), { major: '3', minor: '3.14' });
    assert.deepEqual(versionSeries(v('2.4.62a')), { major: '2', minor: '2.4' });
    assert.deepEqual(versionSeries(v('2025.01.3')), { major: '2025', minor: '2025.01' });
    assert.deepEqual(versionSeries(v('7')), { major: '7' });
    assert.deepEqual(versionSeries(v('1.0_p2')), { major: '1', minor: '1.0' });
  });
});
