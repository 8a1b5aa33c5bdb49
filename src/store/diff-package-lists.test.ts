import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareVersions, diffPackageLists } from './diff-package-lists.ts';
import type { PackageRecord } from './publication.ts';

const p = (name: string, version: string, arch = 'x86_64'): PackageRecord => ({
  name,
  version,
  arch,
  checksum: 'Q1=',
  origin: name,
});

test('versions compare in APK order, with a plain-text fallback', () => {
  assert.equal(compareVersions('1.10-r0', '1.9-r0'), 1);
  assert.equal(compareVersions('1.0_rc1-r0', '1.0-r0'), -1);
  assert.equal(compareVersions('2.0-r1', '2.0-r0'), 1);
  assert.equal(compareVersions('not a version', 'not b version'), -1);
  assert.equal(compareVersions('1.0', '1.0'), 0);
});

test('a multi-arch change is reported once; arch-specific ones stay', () => {
  const before = [p('musl', '1.2.4-r0'), p('musl', '1.2.4-r0', 'aarch64'), p('only-arm', '1-r0', 'aarch64')];
  const after = [p('musl', '1.2.5-r0'), p('musl', '1.2.5-r0', 'aarch64')];
  assert.deepEqual(diffPackageLists(before, after), [
    { kind: 'upgraded', name: 'musl', from: '1.2.4-r0', to: '1.2.5-r0' },
    { kind: 'removed', name: 'only-arm', from: '1-r0', to: null },
  ]);
  assert.deepEqual(diffPackageLists(after, after), []);
});
