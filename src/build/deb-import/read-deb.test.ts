import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readArArchive } from './ar-archive.ts';
import { parseDebControl, parseDebRelations } from './deb-control.ts';
import { readDeb } from './read-deb.ts';
import { buildDeb, writeAr } from './test-fixtures.ts';

describe('ar reader', () => {
  test('reads members with odd sizes, padding and GNU "/" names', () => {
    const bytes = writeAr([
      { name: 'debian-binary', content: Buffer.from('2.0\n') },
      { name: 'odd/', content: Buffer.from('abc') },
      { name: 'even', content: Buffer.from('abcd') },
    ]);
    const members = readArArchive(bytes, 't.deb');
    assert.deepEqual(members.map((m) => [m.name, m.content.toString()]), [['debian-binary', '2.0\n'], ['odd', 'abc'], ['even', 'abcd']]);
  });

  test('refuses a wrong magic, a truncated member and extended names', () => {
    assert.throws(() => readArArchive(Buffer.from('PK\x03\x04 not ar'), 'x.deb'), { code: 'DEB_INVALID', message: /x\.deb: not an ar archive/ });
    const whole = writeAr([{ name: 'data', content: Buffer.alloc(100) }]);
    assert.throws(() => readArArchive(whole.subarray(0, whole.length - 10), 'x.deb'), { code: 'DEB_INVALID', message: /claims 100 bytes/ });
    assert.throws(() => readArArchive(writeAr([{ name: '#1/20', content: Buffer.alloc(20) }]), 'x.deb'), { code: 'DEB_INVALID', message: /extended name/ });
    const badSize = Buffer.from(writeAr([{ name: 'a', content: Buffer.alloc(2) }]).toString('latin1').replace('2         `', 'x2        `'), 'latin1');
    assert.throws(() => readArArchive(badSize, 'x.deb'), { code: 'DEB_INVALID', message: /is not a number/ });
  });
});

describe('control parsing', () => {
  const libc6 = [
    'Package: libc6',
    'Source: glibc (2.36-9)',
    'Version: 2.36-9+deb12u14',
    'Architecture: amd64',
    'Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>',
    'Depends: libgcc-s1',
    'Pre-Depends: dpkg (>= 1.19), debconf (>= 0.5) | debconf-2.0',
    'Provides: libc6-x (= 2.36), virtual-thing',
    'Multi-Arch: same',
    'Homepage: https://www.gnu.org/software/libc/libc.html',
    'Description: GNU C Library: Shared libraries',
    ' Contains the standard libraries that are used by nearly all programs on',
    ' the system.',
  ].join('\n');

  test('reads the fields kiln maps', () => {
    const c = parseDebControl(libc6, 'control');
    assert.equal(c.package, 'libc6');
    assert.equal(c.source, 'glibc');
    assert.equal(c.sourceVersion, '2.36-9');
    assert.equal(c.summary, 'GNU C Library: Shared libraries');
    assert.equal(c.homepage, 'https://www.gnu.org/software/libc/libc.html');
    assert.deepEqual(c.depends, [[{ name: 'libgcc-s1' }]]);
    assert.deepEqual(c.preDepends, [[{ name: 'dpkg', op: '>=', version: '1.19' }], [{ name: 'debconf', op: '>=', version: '0.5' }, { name: 'debconf-2.0' }]]);
    assert.deepEqual(c.provides, [{ name: 'libc6-x', op: '=', version: '2.36' }, { name: 'virtual-thing' }]);
  });

  test('the source defaults to the package; field names are case-insensitive', () => {
    const c = parseDebControl('package: netbase\nversion: 6.4\narchitecture: all\ndescription: Basic TCP/IP networking system', 'control');
    assert.equal(c.source, 'netbase');
    assert.equal(c.sourceVersion, undefined);
  });

  test('relations: arch qualifiers, obsolete operators, build profiles', () => {
    assert.deepEqual(parseDebRelations('python3:any (>= 3.11~), foo (< 2), bar [amd64] <!nocheck>', 'Depends'), [
      [{ name: 'python3', op: '>=', version: '3.11~', archQualifier: 'any' }],
      [{ name: 'foo', op: '<=', version: '2' }],
      [{ name: 'bar' }],
    ]);
    assert.throws(() => parseDebRelations('Foo_Bar', 'Depends'), { code: 'DEB_INVALID', message: /Depends: relation "Foo_Bar"/ });
  });

  test('names the line at fault', () => {
    assert.throws(() => parseDebControl('Package: a1\nVersion: 1\nno colon here', 'x.deb: control'), { code: 'DEB_INVALID', message: /x\.deb: control:3: expected "Field: value"/ });
    assert.throws(() => parseDebControl('Package: a1\nPackage: a2\nVersion: 1\nArchitecture: all', 'c'), { code: 'DEB_INVALID', message: /c:2: field Package appears twice/ });
    assert.throws(() => parseDebControl('Package: a1\nArchitecture: all', 'c'), { code: 'DEB_INVALID', message: /field version/ });
  });
});

describe('readDeb', () => {
  for (const compression of ['gz', 'xz', 'zst', 'none'] as const) {
    test(`reads control and data compressed with ${compression}`, async () => {
      const deb = await readDeb(await buildDeb({ package: 'hello-data', version: '1.0-1', compression, controlFiles: { postinst: '#!/bin/sh\n' } }), 't.deb');
      assert.equal(deb.control.package, 'hello-data');
      assert.deepEqual([...deb.controlFiles.keys()].sort(), ['control', 'postinst']);
      assert.ok(deb.data.some((e) => e.name === './usr/share/hello-data.txt' && e.content.toString() === 'hello-data\n'));
    });
  }

  test('refuses members out of order and mislabelled compression', async () => {
    const good = readArArchive(await buildDeb({ package: 'a1', version: '1', compression: 'gz' }), 't');
    const [bin, control, data] = good as [{ name: string; content: Buffer }, { name: string; content: Buffer }, { name: string; content: Buffer }];
    await assert.rejects(readDeb(writeAr([control, bin, data]), 't.deb'), { code: 'DEB_INVALID', message: /first member must be debian-binary/ });
    await assert.rejects(readDeb(writeAr([bin, control, { name: 'data.tar.xz', content: data.content }]), 't.deb'), { code: 'DEB_INVALID', message: /data\.tar\.xz: does not start with the xz magic/ });
    await assert.rejects(readDeb(writeAr([bin, control, data, data]), 't.deb'), { code: 'DEB_INVALID', message: /unexpected member/ });
  });
});
