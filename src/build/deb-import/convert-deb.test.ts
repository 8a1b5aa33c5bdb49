import assert from 'node:assert/strict';
import { readFileSync, realpathSync } from 'node:fs';
import { describe, test } from 'node:test';
import { encodeApk, formatApkConstraint, generateApkSigningKey } from '../../apk/index.ts';
import { convertDeb, planApkInfo } from './convert-deb.ts';
import { buildDeb, type FixtureEntry } from './test-fixtures.ts';

const dirs = (...paths: string[]): FixtureEntry[] => paths.map((p) => ({ name: `./${p}/`, type: 'directory' as const }));

async function convertData(data: readonly FixtureEntry[], name = 'fixture') {
  return convertDeb(await buildDeb({ package: name, version: '1.0-1', data: [{ name: './', type: 'directory' }, ...data] }), `${name}.deb`);
}

describe('data safety', () => {
  test('a path with ".." is refused (ARCHIVE_UNSAFE)', async () => {
    await assert.rejects(convertData([...dirs('usr'), { name: './usr/../../x', content: 'escape' }]), { code: 'ARCHIVE_UNSAFE', message: /fixture\.deb: data entry.*"\.\." component/ });
    await assert.rejects(convertData([{ name: '../x', content: 'escape' }]), { code: 'ARCHIVE_UNSAFE' });
  });

  test('an absolute path is refused', async () => {
    await assert.rejects(convertData([{ name: '/etc/passwd', content: 'root::0:0::/:/bin/sh\n' }]), { code: 'ARCHIVE_UNSAFE', message: /is absolute/ });
  });

  test('a relative symlink that climbs above the root is refused; absolute targets stay inside', async () => {
    await assert.rejects(convertData([...dirs('usr', 'usr/lib'), { name: './usr/lib/x', type: 'symlink', linkname: '../../../etc/shadow' }]), { code: 'ARCHIVE_UNSAFE', message: /leads outside the root/ });
    const ok = await convertData([...dirs('lib64'), { name: './lib64/ld.so', type: 'symlink', linkname: '/lib/x86_64-linux-gnu/ld.so' }]);
    assert.deepEqual(ok.files.find((f) => f.path === 'lib64/ld.so'), { kind: 'symlink', path: 'lib64/ld.so', target: '/lib/x86_64-linux-gnu/ld.so', uid: 0, gid: 0, uname: 'root', gname: 'root' });
  });

  test('device nodes and FIFOs are refused', async () => {
    await assert.rejects(convertData([...dirs('dev'), { name: './dev/null', type: 'character-device', devmajor: 1, devminor: 3 }]), { code: 'DEB_INVALID', message: /character-device/ });
  });

  test('a hard link to a path that sorts later is re-anchored on the first path', async () => {
    const c = await convertData([...dirs('usr', 'usr/bin'), { name: './usr/bin/zz', content: 'same', mode: 0o755 }, { name: './usr/bin/aa', type: 'link', linkname: './usr/bin/zz' }]);
    assert.deepEqual(c.files.filter((f) => f.path.startsWith('usr/bin/')).map((f) => [f.path, f.kind, f.kind === 'hardlink' ? f.target : '']), [
      ['usr/bin/aa', 'file', ''],
      ['usr/bin/zz', 'hardlink', 'usr/bin/aa'],
    ]);
    // and encodes: apk's data tar needs the file before the link
    await encodeApk({ info: planApkInfo(c, { names: new Set(), sonames: new Set() }).info, files: c.files, key: generateApkSigningKey({ bits: 2048 }), sourceDateEpoch: c.sourceDateEpoch });
  });

  test('keeps modes and owners; the newest mtime is SOURCE_DATE_EPOCH', async () => {
    const c = await convertData([...dirs('usr', 'usr/bin'), { name: './usr/bin/tool', content: 'x', mode: 0o4755, uid: 0, gid: 42, gname: 'shadow', mtime: new Date(1_710_000_000_000) }]);
    const tool = c.files.find((f) => f.path === 'usr/bin/tool');
    assert.equal(tool?.kind === 'file' && tool.mode, 0o4755);
    assert.equal(tool?.gid, 42);
    assert.equal(tool?.gname, 'shadow');
    assert.equal(c.sourceDateEpoch, 1_710_000_000);
  });
});

describe('metadata', () => {
  test('license from a machine-readable copyright file, else custom', async () => {
    const dep5 = [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'Upstream-Name: netbase',
      '',
      'Files: debian/*',
      'Copyright: 2020 Someone',
      'License: MIT',
      '',
      'Files: *',
      'Copyright: 1994 Peter Tobias',
      'License: GPL-2',
      ' This program is free software…',
      '',
      'License: GPL-2',
      ' full text',
    ].join('\n');
    const doc = dirs('usr', 'usr/share', 'usr/share/doc', 'usr/share/doc/fixture');
    assert.equal((await convertData([...doc, { name: './usr/share/doc/fixture/copyright', content: dep5 }])).license, 'GPL-2 AND MIT');
    assert.equal((await convertData([...doc, { name: './usr/share/doc/fixture/copyright', content: 'This is free software, see /usr/share/common-licenses/GPL.\n' }])).license, 'custom');
    assert.equal((await convertData(doc)).license, 'custom');
  });

  test('names, versions, origin and depends as APK sees them', async () => {
    const bytes = await buildDeb({
      package: 'libfoo1',
      version: '1:2.3-4+deb12u1',
      architecture: 'amd64',
      extraControl: 'Source: foo (2.3-4)\nHomepage: https://foo.example\nDepends: libc6 (>= 2.34), libbar1 | libbaz1, missing-thing\nPre-Depends: libfoo1\nProvides: libfoo (= 2.3)\n',
      controlFiles: { postinst: '#!/bin/sh\nldconfig\n', triggers: 'activate-noawait ldconfig\n', conffiles: '/etc/foo.conf\n' },
    });
    const c = await convertDeb(bytes, 'libfoo1.deb');
    assert.equal(c.name, 'libfoo1');
    assert.equal(c.version, '2.3_cvs4_p12_p1');
    assert.equal(c.arch, 'x86_64');
    assert.deepEqual(c.maintainerScripts, ['postinst']);
    assert.deepEqual(c.controlFiles, ['conffiles', 'triggers']);
    assert.deepEqual(c.conffiles, ['etc/foo.conf']);
    const plan = planApkInfo(c, { names: new Set(['libc6', 'libbaz1']), sonames: new Set() });
    assert.equal(plan.info.origin, 'foo');
    assert.equal(plan.info.commit, c.debSha256);
    assert.equal(plan.info.url, 'https://foo.example');
    assert.equal(plan.info.description, 'test package libfoo1 (Debian libfoo1 1:2.3-4+deb12u1)');
    assert.deepEqual(plan.info.depends.map(formatApkConstraint), ['libc6>=2.34', 'libbaz1']);
    assert.deepEqual(plan.info.provides.map(formatApkConstraint), ['libfoo=2.3']);
    assert.deepEqual(plan.dropped, [{ kind: 'debian', relation: 'missing-thing' }]);
  });

  const libz = '/usr/lib/x86_64-linux-gnu/libz.so.1.2.13';
  let hostElf: { lib: Buffer; bin: Buffer } | undefined;
  try {
    hostElf = { lib: readFileSync(realpathSync(libz)), bin: readFileSync(realpathSync('/bin/ls')) };
  } catch {
    hostElf = undefined;
  }
  test('so: provides and needs from real ELF files', { skip: hostElf === undefined ? `needs ${libz} and /bin/ls (Debian amd64)` : false }, async () => {
    const { lib, bin } = hostElf as { lib: Buffer; bin: Buffer };
    const c = await convertData([
      ...dirs('usr', 'usr/lib', 'usr/lib/x86_64-linux-gnu', 'usr/bin', 'usr/lib/x86_64-linux-gnu/plugins'),
      { name: './usr/lib/x86_64-linux-gnu/libz.so.1.2.13', content: lib },
      { name: './usr/lib/x86_64-linux-gnu/libz.so.1', type: 'symlink', linkname: 'libz.so.1.2.13' },
      { name: './usr/lib/x86_64-linux-gnu/plugins/libz-copy.so', content: lib },
      { name: './usr/bin/ls', content: bin, mode: 0o755 },
    ]);
    assert.deepEqual(c.soNames.provides.map((p) => `${p.soname}=${p.version}`), ['libz.so.1=1']);
    assert.ok(['libc.so.6', 'libselinux.so.1', 'ld-linux-x86-64.so.2'].every((n) => c.soNames.needs.includes(n)), c.soNames.needs.join(' '));
    assert.ok(!c.soNames.needs.includes('libz.so.1'));
    const plan = planApkInfo(c, { names: new Set(), sonames: new Set(['libc.so.6', 'ld-linux-x86-64.so.2']) });
    assert.deepEqual(plan.info.depends.map(formatApkConstraint), ['so:ld-linux-x86-64.so.2', 'so:libc.so.6']);
    assert.ok(plan.dropped.some((d) => d.kind === 'so' && d.soname === 'libselinux.so.1'));
  });
});

describe('determinism', () => {
  test('the same .deb converts to byte-identical APKs', async () => {
    const key = generateApkSigningKey({ bits: 2048 });
    const deb = await buildDeb({ package: 'tzdata-like', version: '2024a-0+deb12u1', compression: 'xz', data: [{ name: './', type: 'directory' }, ...dirs('usr', 'usr/share', 'usr/share/zoneinfo'), { name: './usr/share/zoneinfo/UTC', content: 'TZif2…' }, { name: './usr/share/zoneinfo/Zulu', type: 'link', linkname: './usr/share/zoneinfo/UTC' }] });
    const once = async () => {
      const c = await convertDeb(deb, 't.deb');
      return (await encodeApk({ info: planApkInfo(c, { names: new Set(), sonames: new Set() }).info, files: c.files, key, sourceDateEpoch: c.sourceDateEpoch })).bytes;
    };
    const [a, b] = [await once(), await once()];
    assert.ok(a.equals(b), 'two conversions differ');
  });
});
