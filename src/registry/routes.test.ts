import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paginate, parseRangeHeader, parseUploadRange } from './http-util.ts';
import { parseRoute } from './routes.ts';

const D = `sha256:${'a'.repeat(64)}`;

test('routes are read from the right, so names may hold slashes and endpoint words', () => {
  assert.deepEqual(parseRoute('/v2/'), { kind: 'base' });
  assert.deepEqual(parseRoute('/v2/_catalog'), { kind: 'catalog' });
  assert.deepEqual(parseRoute('/v2/library/nginx/sub/manifests/latest'), { kind: 'manifest', name: 'library/nginx/sub', reference: 'latest' });
  assert.deepEqual(parseRoute(`/v2/a/blobs/b/blobs/${D}`), { kind: 'blob', name: 'a/blobs/b', digest: D });
  assert.deepEqual(parseRoute('/v2/a/manifests/x/blobs/uploads/'), { kind: 'upload-start', name: 'a/manifests/x' });
  assert.deepEqual(parseRoute('/v2/a/blobs/uploads'), { kind: 'upload-start', name: 'a' });
  assert.deepEqual(parseRoute('/v2/a/b/blobs/uploads/1234'), { kind: 'upload', name: 'a/b', uuid: '1234' });
  assert.deepEqual(parseRoute('/v2/tags/tags/list'), { kind: 'tags', name: 'tags' });
  assert.deepEqual(parseRoute(`/v2/x/y/referrers/${D}`), { kind: 'referrers', name: 'x/y', digest: D });
  assert.equal(parseRoute('/v2/x/unknown/thing'), undefined);
  assert.equal(parseRoute('/api/v1/things'), undefined);
  assert.equal(parseRoute('/v2/manifests/latest')?.kind, 'manifest');
});

test('Range headers: one range, suffixes, open ends, and what cannot be satisfied', () => {
  assert.deepEqual(parseRangeHeader('bytes=0-0', 10), { start: 0, end: 0 });
  assert.deepEqual(parseRangeHeader('bytes=5-', 10), { start: 5, end: 9 });
  assert.deepEqual(parseRangeHeader('bytes=-4', 10), { start: 6, end: 9 });
  assert.deepEqual(parseRangeHeader('bytes=-40', 10), { start: 0, end: 9 });
  assert.deepEqual(parseRangeHeader('bytes=8-100', 10), { start: 8, end: 9 });
  assert.equal(parseRangeHeader('bytes=10-11', 10), 'unsatisfiable');
  assert.equal(parseRangeHeader('bytes=5-4', 10), 'unsatisfiable');
  assert.equal(parseRangeHeader('bytes=0-1,3-4', 10), undefined);
  assert.equal(parseRangeHeader('items=0-1', 10), undefined);
  assert.deepEqual(parseUploadRange('0-99'), { start: 0, end: 99 });
  assert.deepEqual(parseUploadRange('bytes 100-199/*'), { start: 100, end: 199 });
  assert.throws(() => parseUploadRange('99-0'), { status: 416 });
  assert.throws(() => parseUploadRange('abc'), { status: 416 });
});

test('pagination takes the items after last, n at a time, and says where the next page starts', () => {
  const items = ['a', 'b', 'c', 'd'];
  assert.deepEqual(paginate(items, new URLSearchParams('n=2')), { page: ['a', 'b'], n: 2, next: 'b' });
  assert.deepEqual(paginate(items, new URLSearchParams('n=2&last=b')), { page: ['c', 'd'], n: 2, next: undefined });
  assert.deepEqual(paginate(items, new URLSearchParams('last=a')), { page: ['b', 'c', 'd'], n: undefined, next: undefined });
  assert.deepEqual(paginate(items, new URLSearchParams('n=0')), { page: [], n: 0, next: undefined });
});
