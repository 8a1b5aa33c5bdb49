import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { packError, unpackError } from './thread-errors.ts';

void describe('thread errors', () => {
  void test('errors keep class, code, message and cause', () => {
    const cause = Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
    const back = unpackError(structuredClone(packError(new KilnError('NOT_FOUND', 'package x.apk: gone', { cause }))));
    assert.ok(back instanceof KilnError);
    assert.equal(back.code, 'NOT_FOUND');
    assert.equal(back.message, 'package x.apk: gone');
    assert.ok(back.cause instanceof Error);
    assert.equal((back.cause as { code?: string }).code, 'ENOENT');
    const plain = unpackError(structuredClone(packError(new TypeError('not a function'))));
    assert.ok(!(plain instanceof KilnError));
    assert.equal(plain.name, 'TypeError');
    assert.equal(unpackError(packError('a string')).message, 'a string');
  });
});
