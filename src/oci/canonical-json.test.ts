import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from './canonical-json.ts';

test('canonical JSON sorts keys at every depth and drops undefined members', () => {
  const a = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined });
  const b = canonicalJson({ a: { c: 'x', d: [3, { y: 2, z: 1 }] }, b: 1 });
  assert.equal(a, '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  assert.equal(a, b);
});

test('canonical JSON escapes strings like JSON and keeps unicode', () => {
  assert.equal(canonicalJson({ 'é': 'a"\n\u0001' }), '{"é":"a\\"\\n\\u0001"}');
});

test('canonical JSON refuses values JSON cannot hold, naming the path', () => {
  assert.throws(() => canonicalJson({ a: [1, Number.NaN] }), { code: 'INPUT_INVALID', message: /\$\.a\[1\]/ });
  assert.throws(() => canonicalJson({ f: () => 1 }), { code: 'INPUT_INVALID', message: /\$\.f is a function/ });
});
