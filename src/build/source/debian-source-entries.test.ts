import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { debSrcEntries, deb822ToDebSrc, oneLineToDebSrc } from './debian-source-entries.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('deb-src entries from the machine apt sources', () => {
  test('one-line entries keep their options (signed-by); deb-src, comments and other lines are dropped', () => {
    assert.equal(
      oneLineToDebSrc('# a comment\ndeb [signed-by=/k.gpg arch=amd64] http://mirror.internal/debian bookworm main contrib\ndeb-src http://x y z\n  deb http://mirror.internal/debian-security bookworm-security main # trailing\n'),
      'deb-src [signed-by=/k.gpg arch=amd64] http://mirror.internal/debian bookworm main contrib\ndeb-src http://mirror.internal/debian-security bookworm-security main\n',
    );
    assert.equal(oneLineToDebSrc('deb-src http://x y z\n'), '');
  });

  test('deb822 stanzas with Types deb become deb-src with every other field, Signed-By included; disabled ones are dropped', () => {
    const text = `Types: deb deb-src
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.internal/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://other.internal/x
Suites: y
Components: main
Enabled: no

Types: deb-src
URIs: http://only-src.internal/x
Suites: y
`;
    assert.equal(
      deb822ToDebSrc(text),
      'Types: deb-src\nURIs: http://mirror.internal/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    );
  });

  test('read from an apt directory in apt order; files apt ignores are ignored; $KILN_DEBIAN_MIRROR replaces them', async () => {
    const etc = await mkdtemp(join(tmpdir(), 'kiln-etc-apt-'));
    dirs.push(etc);
    await mkdir(join(etc, 'sources.list.d'));
    await writeFile(join(etc, 'sources.list'), 'deb http://a.internal/debian bookworm main\n');
    await writeFile(join(etc, 'sources.list.d', 'b.sources'), 'Types: deb\nURIs: http://b.internal/debian\nSuites: bookworm\nComponents: main\n');
    await writeFile(join(etc, 'sources.list.d', 'c.list.disabled'), 'deb http://c.internal/debian bookworm main\n');
    await writeFile(join(etc, 'sources.list.d', 'd.list'), '# nothing\n');
    assert.deepEqual(await debSrcEntries({ etcApt: etc, env: {} }), [
      { name: 'from-sources.list', text: 'deb-src http://a.internal/debian bookworm main\n' },
      { name: 'from-b.sources', text: 'Types: deb-src\nURIs: http://b.internal/debian\nSuites: bookworm\nComponents: main\n' },
    ]);
    const [mirror] = await debSrcEntries({ etcApt: etc, env: { KILN_DEBIAN_MIRROR: 'http://proxy.internal:3142/debian' } });
    assert.match(mirror?.text ?? '', /^deb-src \[signed-by=\/usr\/share\/keyrings\/debian-archive-keyring\.gpg\] http:\/\/proxy\.internal:3142\/debian [a-z]+ main\n/);
  });
});
