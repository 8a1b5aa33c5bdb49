import { createHash } from 'node:crypto';
import { parseApkConstraint } from './constraint.ts';
import { gzipDeterministic } from './gzip.ts';
import { encodePkgInfo, type PkgInfo } from './package-info.ts';
import { generateApkSigningKey, signatureEntries, type GeneratedApkSigningKey } from './signing.ts';
import { packTar, type TarEntry } from './tar.ts';
import { parseApkVersion } from './version.ts';
import type { WriteApkInput } from './write-apk.ts';
import type { ApkFile } from './apk-file.ts';

/** Generated fixtures for the apk tests: small keys (fast), a sample package. */
let cachedKeys: GeneratedApkSigningKey[] | undefined;
export function testKeys(): readonly [GeneratedApkSigningKey, GeneratedApkSigningKey] {
  cachedKeys ??= [generateApkSigningKey({ bits: 2048 }), generateApkSigningKey({ bits: 2048, prefix: 'other' })];
  return cachedKeys as [GeneratedApkSigningKey, GeneratedApkSigningKey];
}

export const EPOCH = 1_700_000_000;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export const SAMPLE_FILES: readonly ApkFile[] = [
  { kind: 'file', path: 'usr/bin/hello', mode: 0o755, uid: 0, gid: 0, content: text('#!/bin/sh\necho hello\n') },
  { kind: 'symlink', path: 'usr/bin/hi', target: 'hello', uid: 0, gid: 0 },
  { kind: 'file', path: 'usr/share/doc/hello/README', mode: 0o644, uid: 0, gid: 0, content: text('read me\n') },
  { kind: 'hardlink', path: 'usr/share/doc/hello/README.txt', target: 'usr/share/doc/hello/README', mode: 0o644, uid: 0, gid: 0 },
  { kind: 'directory', path: 'var/lib/hello', mode: 0o750, uid: 65532, gid: 65532, uname: 'nonroot', gname: 'nonroot' },
  { kind: 'file', path: 'etc/hello.conf', mode: 0o640, uid: 0, gid: 65532, content: text('greeting=hello\n') },
];

export function sampleInput(key: GeneratedApkSigningKey, overrides: Partial<WriteApkInput['info']> = {}): WriteApkInput {
  return {
    info: {
      name: 'hello',
      version: parseApkVersion('2.12.1-r0'),
      arch: 'x86_64',
      description: 'says hello',
      url: 'https://www.gnu.org/software/hello/',
      license: 'GPL-3.0-or-later',
      origin: 'hello',
      maintainer: 'kiln <kiln@example.com>',
      packager: 'kiln',
      commit: '0123456789abcdef0123456789abcdef01234567',
      buildDate: EPOCH,
      depends: [parseApkConstraint('so:libc.so.6'), parseApkConstraint('!hello-old')],
      provides: [parseApkConstraint('cmd:hello=2.12.1-r0'), parseApkConstraint('greeter')],
      providerPriority: 10,
      replaces: [parseApkConstraint('hello-old')],
      installIf: [],
      triggers: ['/usr/share/hello/*'],
      ...overrides,
    },
    files: SAMPLE_FILES,
    scripts: { 'post-install': '#!/bin/sh\nexit 0\n', trigger: '#!/bin/sh\nexit 0\n' },
    key,
    sourceDateEpoch: EPOCH,
  };
}

/**
 * A package built from raw data tar entries, bypassing the writer's checks: for tests
 * of what the reader refuses (paths that escape, missing parents, bad checksums).
 */
export async function craftApk(data: readonly TarEntry[], key: GeneratedApkSigningKey): Promise<Buffer> {
  const dataStream = gzipDeterministic(await packTar(data, { endOfArchive: true }));
  const info: PkgInfo = {
    name: 'crafted',
    version: parseApkVersion('1.0-r0'),
    arch: 'x86_64',
    description: '',
    url: '',
    license: 'MIT',
    buildDate: EPOCH,
    installedSize: 4096,
    depends: [],
    provides: [],
    replaces: [],
    installIf: [],
    triggers: [],
    dataHash: createHash('sha256').update(dataStream).digest('hex'),
  };
  const root = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: EPOCH, mode: 0o644 };
  const controlStream = gzipDeterministic(await packTar([{ ...root, name: '.PKGINFO', type: 'file', content: text(encodePkgInfo(info)) }], { endOfArchive: false }));
  const sig = gzipDeterministic(await packTar(signatureEntries(controlStream, key, ['RSA'], EPOCH), { endOfArchive: false }));
  return Buffer.concat([sig, controlStream, dataStream]);
}

export function dir(name: string): TarEntry {
  return { name, type: 'directory', mode: 0o755, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: EPOCH };
}

export function file(name: string, content: string, checksum = createHash('sha1').update(content).digest('hex')): TarEntry {
  return { name, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: EPOCH, content: text(content), pax: { 'APK-TOOLS.checksum.SHA1': checksum } };
}

export function link(name: string, type: 'symlink' | 'link', target: string): TarEntry {
  return { name, type, mode: 0o777, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: EPOCH, linkname: target };
}
