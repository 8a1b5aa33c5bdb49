import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { nextLink } from './listing.ts';
import { chunksOf } from './upload.ts';

void test('nextLink finds rel="next" among several links', () => {
  assert.equal(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"'), '/v2/a/tags/list?n=2&last=b');
  assert.equal(nextLink('<https://x/prev>; rel="prev", <https://x/v2/_catalog?last=c&n=2>; rel=next'), 'https://x/v2/_catalog?last=c&n=2');
  assert.equal(nextLink('<https://x/prev>; rel="prev"'), undefined);
  assert.equal(nextLink(undefined), undefined);
});

void test('chunksOf cuts a stream of odd pieces into exact chunks', async () => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256));
  const pieces = [data.subarray(0, 7), data.subarray(7, 300), data.subarray(300, 301), data.subarray(301)];
  const sizes: number[] = [];
  const out: Buffer[] = [];
  for await (const c of chunksOf(Readable.from(pieces), 128)) {
    sizes.push(c.length);
    out.push(c);
  }
  assert.deepEqual(sizes, [128, 128, 128, 128, 128, 128, 128, 104]);
  assert.ok(Buffer.concat(out).equals(data));
  const fromBytes = [];
  for await (const c of chunksOf(data, 500)) fromBytes.push(c.length);
  assert.deepEqual(fromBytes, [500, 500]);
});
