import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { parseApkConstraint, parseApkVersion, type ApkIndexEntry } from '../../apk/index.ts';
import { encodeInstalledDb, type InstalledPackage } from './installed-db.ts';

const sha1 = (s: string): Uint8Array => createHash('sha1').update(s).digest();
const q1 = (s: string): string => `Q1${Buffer.from(sha1(s)).toString('base64')}`;

const entry: ApkIndexEntry = {
  checksum: 'Q1Meo+LHGPSi3uY9gIouEVb9z8Fbo=',
  name: 'busybox',
  version: parseApkVersion('1.35.0-r17'),
  arch: 'x86_64',
  size: 520738,
  installedSize: 1015808,
  description: 'Size optimized toolbox of many common UNIX utilities',
  url: 'https://busybox.net/',
  license: 'GPL-2.0-only',
  origin: 'busybox',
  maintainer: 'Sören Tempel <soeren+alpine@soeren-tempel.net>',
  buildDate: 1659366884,
  commit: '2bf6ec48e526113f87216683cd341a78af5f0b3f',
  depends: [parseApkConstraint('so:libc.musl-x86_64.so.1')],
  provides: [parseApkConstraint('/bin/sh'), parseApkConstraint('cmd:busybox=1.35.0-r17')],
  replaces: [parseApkConstraint('busybox-initscripts')],
  installIf: [],
  triggers: [],
};

test('lib/apk/db/installed: the record apk-tools writes (fields, F/M per directory, R/a/Z per file)', () => {
  const pkg: InstalledPackage = {
    entry,
    paths: [
      // given out of order on purpose
      { kind: 'directory', path: 'tmp', mode: 0o1777, uid: 0, gid: 0 },
      { kind: 'file', path: 'bin/sh', mode: 0o777, uid: 0, gid: 0, sha1: sha1('/bin/busybox') },
      { kind: 'directory', path: 'bin', mode: 0o755, uid: 0, gid: 0 },
      { kind: 'file', path: 'bin/busybox', mode: 0o755, uid: 0, gid: 0, sha1: sha1('elf') },
      { kind: 'directory', path: 'etc/network', mode: 0o755, uid: 0, gid: 0 },
      { kind: 'file', path: 'etc/securetty', mode: 0o644, uid: 0, gid: 0, sha1: sha1('console\n') },
      { kind: 'directory', path: 'etc', mode: 0o755, uid: 0, gid: 0 },
      { kind: 'file', path: 'etc/shadow', mode: 0o640, uid: 0, gid: 42, sha1: sha1('root:*::0:::::\n') },
    ],
  };
  const expected = [
    'C:Q1Meo+LHGPSi3uY9gIouEVb9z8Fbo=',
    'P:busybox',
    'V:1.35.0-r17',
    'A:x86_64',
    'S:520738',
    'I:1015808',
    'T:Size optimized toolbox of many common UNIX utilities',
    'U:https://busybox.net/',
    'L:GPL-2.0-only',
    'o:busybox',
    'm:Sören Tempel <soeren+alpine@soeren-tempel.net>',
    't:1659366884',
    'c:2bf6ec48e526113f87216683cd341a78af5f0b3f',
    'D:so:libc.musl-x86_64.so.1',
    'p:/bin/sh cmd:busybox=1.35.0-r17',
    'r:busybox-initscripts',
    'F:bin',
    'R:busybox',
    'a:0:0:755',
    `Z:${q1('elf')}`,
    'R:sh',
    'a:0:0:777',
    `Z:${q1('/bin/busybox')}`,
    'F:etc',
    'R:securetty',
    `Z:${q1('console\n')}`,
    'R:shadow',
    'a:0:42:640',
    `Z:${q1('root:*::0:::::\n')}`,
    'F:etc/network',
    'F:tmp',
    'M:0:0:1777',
    '',
    '',
  ].join('\n');
  assert.equal(encodeInstalledDb([pkg]), expected);
  // two records: each ends with one blank line
  assert.equal(encodeInstalledDb([pkg, pkg]), expected + expected);
});
