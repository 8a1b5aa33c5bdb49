import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseApkConstraints, parseApkProvide, parseApkVersion, type ApkIndexEntry } from '../apk/index.ts';
import { digestOf } from '../oci/index.ts';
import { packageFactsOf } from './package-facts-of.ts';

function entry(name: string, depends: string, provides: string[] = []): ApkIndexEntry {
  return {
    name,
    version: parseApkVersion('1.0-r0'),
    arch: 'x86_64',
    description: name,
    url: `https://example.org/${name}`,
    license: 'MIT',
    origin: name,
    buildDate: 0,
    installedSize: 1,
    depends: parseApkConstraints(depends),
    provides: provides.map(parseApkProvide),
    replaces: [],
    installIf: [],
    triggers: [],
    checksum: 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    size: 1,
  };
}

test('packageFactsOf resolves so: and cmd: dependencies to the providing package', () => {
  const source = { downloadLocation: 'https://example.org/hello.tar.gz', digest: digestOf(Buffer.from('src')) };
  const facts = packageFactsOf(
    [entry('glibc', '', ['so:libc.so.6=6']), entry('busybox', 'so:libc.so.6 !toybox', ['cmd:sh']), entry('hello', 'so:libc.so.6 cmd:sh glibc')],
    { supplier: 'Example', sources: new Map([['hello', source]]) },
  );
  assert.deepEqual(facts.map((f) => [f.name, f.depends]), [
    ['glibc', []],
    ['busybox', ['glibc']],
    ['hello', ['busybox', 'glibc']],
  ]);
  assert.deepEqual(facts[2]?.source, source);
  assert.equal(facts[0]?.supplier, 'Example');
  assert.equal(facts[0]?.checksum, 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
});
