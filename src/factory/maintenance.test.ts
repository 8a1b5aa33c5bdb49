import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CatalogLine } from './catalog-image.ts';
import { describeFrozen, isEndOfLife, lineAdmits, lineMaintenance } from './maintenance.ts';
import { parseLineConstraint } from './parse-catalog-entry.ts';
import { v } from './test-fixtures.ts';

const line = (name: string, constraint: string, eol?: string): CatalogLine => ({
  name,
  constraint,
  constraints: parseLineConstraint('python-3', constraint) ?? assert.fail(constraint),
  ...(eol !== undefined && { eol }),
});

describe('maintenance', () => {
  test('a line admits the versions its constraint matches, in APK order', () => {
    const l312 = line('3.12', '~3.12');
    assert.deepEqual(
      ['3.12.0', '3.12.9-r3', '3.12.10', '3.1.2', '3.13.0', '3.120.1'].map((x) => lineAdmits(l312, 'python-3', v(x))),
      [true, true, true, false, false, false],
    );
    const range = line('3.12', '>=3.12 <3.13');
    assert.deepEqual(
      ['3.11.9', '3.12.0', '3.12.10', '3.13.0_rc1', '3.13.0'].map((x) => lineAdmits(range, 'python-3', v(x))),
      // apk orders 3.13.0_rc1 after 3.13 (the longer version wins unless a suffix comes next)
      [false, true, true, false, false],
    );
    assert.equal(parseLineConstraint('python-3', '3.12'), undefined, 'a bare version is not a constraint');
    assert.equal(parseLineConstraint('python-3', '><Q1abc'), undefined);
  });

  test('the newest version within the constraint is maintained; older ones are frozen, superseded', () => {
    const m = lineMaintenance(line('3.12', '~3.12'), 'python-3', [v('3.12.8'), v('3.12.10'), v('3.12.9'), v('3.12.10')], '2025-03-01T00:00:00Z');
    assert.deepEqual(m, {
      maintained: '3.12.10',
      frozen: [
        { version: '3.12.9', reason: { kind: 'superseded', by: '3.12.10' } },
        { version: '3.12.8', reason: { kind: 'superseded', by: '3.12.10' } },
      ],
    });
  });

  test('a version outside a narrowed constraint is frozen even when it is the newest', () => {
    const l = line('3.12', '<3.12.9');
    const m = lineMaintenance(l, 'python-3', [v('3.12.8'), v('3.12.10')], '2025-03-01T00:00:00Z');
    assert.equal(m.maintained, '3.12.8');
    assert.deepEqual(m.frozen, [{ version: '3.12.10', reason: { kind: 'outside-line', constraint: '<3.12.9' } }]);
    assert.equal(describeFrozen(l, m.frozen[0]?.reason ?? assert.fail()), 'unmaintained: outside line 3.12 (<3.12.9)');
  });

  test('end of life starts at 00:00 UTC on the eol date; then nothing is maintained', () => {
    const l = line('3.9', '~3.9', '2025-10-31');
    assert.equal(isEndOfLife(l, '2025-10-30T23:59:59Z'), false);
    assert.equal(isEndOfLife(l, '2025-10-31T00:00:00Z'), true);
    assert.equal(isEndOfLife(l, '2025-10-31T01:00:00+02:00'), false, '23:00 UTC the day before');
    assert.equal(isEndOfLife(line('3.13', '~3.13'), '2999-01-01T00:00:00Z'), false);
    const m = lineMaintenance(l, 'python-3', [v('3.9.20'), v('3.9.21')], '2025-11-01T00:00:00Z');
    assert.equal(m.maintained, undefined);
    assert.deepEqual(
      m.frozen.map((f) => [f.version, describeFrozen(l, f.reason)]),
      [
        ['3.9.21', 'line 3.9 reached end of life on 2025-10-31'],
        ['3.9.20', 'line 3.9 reached end of life on 2025-10-31'],
      ],
    );
  });
});
