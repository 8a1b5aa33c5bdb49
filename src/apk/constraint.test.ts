import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { apkNameNamespace, formatApkConstraint, parseApkConstraint, parseApkConstraints, parseApkProvide, satisfies } from './constraint.ts';
import { parseApkVersion } from './version.ts';

const v = parseApkVersion;

void describe('APK dependency constraints', () => {
  void test('parse every form apk-tools accepts and format back to the same text', () => {
    const forms = [
      'busybox',
      'busybox=1.36.1-r0',
      'busybox>1.36',
      'busybox<1.36',
      'busybox>=1.36',
      'busybox<=1.36',
      'openssl~3.3',
      'openssl<~3.3',
      'openssl>~3.3',
      '!foo',
      '!foo<2',
      'so:libc.so.6',
      'so:libc.so.6=2.36',
      'so:libstdc++.so.6',
      'cmd:[',
      'cmd:sh',
      'pc:gtk+-3.0>=3.24',
      'foo@edge',
      'foo@edge>=1.0',
      'foo><Q1H2r0orye8DJiDUNqLI31sZeA2lo=',
    ];
    for (const f of forms) assert.equal(formatApkConstraint(parseApkConstraint(f)), f, f);
  });

  void test('parse into their parts', () => {
    assert.deepEqual(parseApkConstraint('!foo@edge>=1.2-r3'), {
      name: 'foo',
      conflict: true,
      tag: 'edge',
      match: { kind: 'version', op: '>=', version: '1.2-r3' },
    });
    assert.deepEqual(parseApkConstraint('so:libc.so.6'), { name: 'so:libc.so.6', conflict: false, match: { kind: 'any' } });
    assert.equal(formatApkConstraint(parseApkConstraint('foo~=1.2')), 'foo~1.2');
    assert.equal(apkNameNamespace('so:libc.so.6'), 'so');
    assert.equal(apkNameNamespace('busybox'), undefined);
    assert.deepEqual(parseApkConstraints(' a  b>1\nc ').map((c) => c.name), ['a', 'b', 'c']);
  });

  void test('refuse bad constraints, naming the part', () => {
    const message = (s: string): string => {
      try {
        parseApkConstraint(s);
      } catch (e) {
        assert.ok(e instanceof KilnError);
        assert.equal(e.code, 'CONSTRAINT_INVALID');
        return e.message;
      }
      assert.fail(`${s} was accepted`);
    };
    assert.match(message(''), /expected a package name/);
    assert.match(message('!'), /expected a package name after "!"/);
    assert.match(message('>=1.0'), /expected a package name/);
    assert.match(message('foo=>1.0'), /unknown operator "=>" at position 3/);
    assert.match(message('foo>='), /expected a version after ">=" at position 3/);
    assert.match(message('foo>=1.2_foo'), /unknown suffix "_foo"/);
    assert.match(message('foo><abc'), /expected a checksum/);
    assert.match(message('foo@'), /repository tag/);
    assert.match(message('fo o'), /character apk does not allow/);
    assert.throws(() => parseApkProvide('so:libc.so.6>=2'), /name=version/);
    assert.throws(() => parseApkProvide('!foo'), /name=version/);
  });

  void test('satisfies: versions, fuzzy, conflicts, provides', () => {
    const c = parseApkConstraint;
    assert.equal(satisfies(c('busybox'), 'busybox', v('1.0')), true);
    assert.equal(satisfies(c('busybox'), 'toybox', v('1.0')), false);
    assert.equal(satisfies(c('busybox>=1.36'), 'busybox', v('1.36.1-r0')), true);
    assert.equal(satisfies(c('busybox>=1.36'), 'busybox', v('1.36_rc1')), false);
    assert.equal(satisfies(c('busybox<1.36'), 'busybox', v('1.35.9')), true);
    assert.equal(satisfies(c('busybox<=1.36'), 'busybox', v('1.36')), true);
    assert.equal(satisfies(c('busybox>1.36'), 'busybox', v('1.36')), false);
    assert.equal(satisfies(c('busybox=1.36-r1'), 'busybox', v('1.36-r1')), true);
    assert.equal(satisfies(c('busybox=1.36'), 'busybox', v('1.36-r1')), false);
    assert.equal(satisfies(c('openssl~3.3'), 'openssl', v('3.3.2-r0')), true);
    assert.equal(satisfies(c('openssl~3.3'), 'openssl', v('3.4.0')), false);
    assert.equal(satisfies(c('openssl~3.3'), 'openssl', v('3.30')), false);
    assert.equal(satisfies(c('openssl<~3.3'), 'openssl', v('3.2')), true);
    assert.equal(satisfies(c('openssl>~3.3'), 'openssl', v('3.3.9')), true);
    assert.equal(satisfies(c('openssl>~3.3'), 'openssl', v('3.2')), false);
    // conflicts: satisfied unless the candidate matches
    assert.equal(satisfies(c('!foo'), 'foo', v('1.0')), false);
    assert.equal(satisfies(c('!foo'), 'bar', v('1.0')), true);
    assert.equal(satisfies(c('!foo<2'), 'foo', v('1.0')), false);
    assert.equal(satisfies(c('!foo<2'), 'foo', v('2.0')), true);
    // provides: an unversioned provide only satisfies an unversioned requirement
    assert.equal(satisfies(c('so:libc.so.6'), 'so:libc.so.6', undefined), true);
    assert.equal(satisfies(c('so:libc.so.6>=2.30'), 'so:libc.so.6', undefined), false);
    assert.equal(satisfies(c('so:libc.so.6>=2.30'), 'so:libc.so.6', v('2.36')), true);
    assert.equal(satisfies(c('!so:libc.so.6>=2.30'), 'so:libc.so.6', undefined), true);
    // checksum pins
    const q = 'Q1H2r0orye8DJiDUNqLI31sZeA2lo=';
    assert.equal(satisfies(c(`foo><${q}`), 'foo', v('1.0'), q), true);
    assert.equal(satisfies(c(`foo><${q}`), 'foo', v('1.0'), 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA='), false);
  });
});
