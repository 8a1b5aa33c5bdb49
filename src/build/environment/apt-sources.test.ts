import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKilnError } from '../../errors/index.ts';
import { parseAptProxyConfig } from './apt-proxy.ts';
import { parseDeb822Sources, parseSourcesList, readAptSources } from './apt-sources.ts';
import { pickArchive, resolveDebianArchive } from './debian-archive.ts';

const DEB822 = `Types: deb
# a comment inside the stanza
URIs: http://mirror.example/debian
Suites: bookworm-updates bookworm
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 -----END PGP PUBLIC KEY BLOCK-----
`;

test('one-line sources: options in brackets, comments, deb-src', () => {
  const s = parseSourcesList(
    [
      '# deb http://commented.example/debian bookworm main',
      'deb [ arch=amd64 signed-by=/k.gpg ] http://a.example/debian bookworm main contrib # trailing',
      'deb-src http://a.example/debian bookworm main',
      'deb [trusted=yes] http://b.example/debian bookworm-backports main',
    ].join('\n'),
    'sources.list',
  );
  assert.deepEqual(
    s.map((x) => [x.types[0], x.uris[0], x.suites[0], x.components.join(',')]),
    [
      ['deb', 'http://a.example/debian', 'bookworm', 'main,contrib'],
      ['deb-src', 'http://a.example/debian', 'bookworm', 'main'],
      ['deb', 'http://b.example/debian', 'bookworm-backports', 'main'],
    ],
  );
});

test('deb822 sources: stanzas, Enabled: no, folded fields', () => {
  const s = parseDeb822Sources(DEB822, 'debian.sources');
  assert.equal(s.length, 3);
  assert.deepEqual(s[0]?.suites, ['bookworm-updates', 'bookworm']);
  assert.equal(s[1]?.enabled, false);
  assert.deepEqual(s[2]?.uris, ['http://security.example/debian-security']);
});

test('the archive is the first enabled deb source for the exact suite with main', () => {
  const sources = [
    ...parseSourcesList('deb http://updates-only.example/debian bookworm-updates main', 'a.list'),
    ...parseDeb822Sources(DEB822, 'b.sources'),
  ];
  assert.deepEqual(pickArchive(sources, 'bookworm'), { uri: 'http://mirror.example/debian', file: 'b.sources' });
  assert.equal(pickArchive(sources, 'trixie'), undefined);
});

test('readAptSources reads .list and .sources in order and ignores other files', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-apt-'));
  try {
    await mkdir(join(dir, 'sources.list.d'));
    await writeFile(join(dir, 'sources.list.d', 'a.list.disabled'), 'deb http://ignored.example/debian bookworm main\n');
    await writeFile(join(dir, 'sources.list.d', 'z.sources'), DEB822);
    await writeFile(join(dir, 'sources.list.d', 'm.list'), 'deb http://m.example/debian bookworm main\n');
    const archive = await resolveDebianArchive({ etcApt: dir, suite: 'bookworm', arch: 'amd64', env: {} });
    assert.equal(archive.mirror, 'http://m.example/debian');
    assert.equal(archive.origin, join(dir, 'sources.list.d', 'm.list'));
    assert.equal((await readAptSources(dir)).length, 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an explicit mirror, then KILN_DEBIAN_MIRROR, win over apt; credentials are refused', async () => {
  const base = { etcApt: '/nonexistent', suite: 'bookworm', arch: 'amd64' };
  assert.equal((await resolveDebianArchive({ ...base, mirror: 'http://x.example/debian/', env: {} })).mirror, 'http://x.example/debian');
  const env = await resolveDebianArchive({ ...base, env: { KILN_DEBIAN_MIRROR: 'https://y.example/debian' } });
  assert.deepEqual([env.mirror, env.origin], ['https://y.example/debian', 'KILN_DEBIAN_MIRROR']);
  await assert.rejects(resolveDebianArchive({ ...base, mirror: 'http://u:p@x.example/debian', env: {} }), (e) => isKilnError(e) && e.code === 'INPUT_INVALID');
  await assert.rejects(resolveDebianArchive({ ...base, mirror: '--foo', env: {} }), (e) => isKilnError(e) && e.code === 'INPUT_INVALID');
  await assert.rejects(resolveDebianArchive({ ...base, env: {} }), (e) => isKilnError(e) && e.code === 'ENVIRONMENT_FAILED');
});

test('this machine: the mirror comes from its own apt sources for the running suite', async () => {
  const archive = await resolveDebianArchive({ env: {} });
  assert.match(archive.suite, /^[a-z]+$/);
  assert.match(archive.mirror, /^https?:\/\//);
  assert.match(archive.origin, /^\/etc\/apt\//);
});

test('apt proxy settings are picked out of apt-config dump', () => {
  const dump = [
    'APT "";',
    'Acquire::http::Proxy "http://proxy.example:3128";',
    'Acquire::https::Proxy::deb.example "DIRECT";',
    'Acquire::Retries "3";',
  ].join('\n');
  assert.deepEqual(parseAptProxyConfig(dump), [
    'Acquire::http::Proxy "http://proxy.example:3128";',
    'Acquire::https::Proxy::deb.example "DIRECT";',
  ]);
});
