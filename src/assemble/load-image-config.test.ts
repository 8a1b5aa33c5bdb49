import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadImageConfig } from './load-image-config.ts';
import { tempDirs } from '../testing/index.ts';

const tempDir = tempDirs('kiln-config-');

const BASE = `contents:
  repositories: [https://packages.example/os]
  keyring: [https://packages.example/key.rsa.pub]
  packages: [wolfi-baselayout, ca-certificates-bundle]
entrypoint:
  command: /bin/sh -l
cmd: --base
work-dir: /base
environment:
  PATH: /usr/bin:/bin
  LANG: C.UTF-8
accounts:
  groups: [{groupname: nonroot, gid: 65532}]
  users: [{username: nonroot, uid: 65532, gid: 65532}]
  run-as: nonroot
paths:
  - {path: /base, type: directory, permissions: 0o755}
annotations:
  org.opencontainers.image.vendor: base
  org.opencontainers.image.title: base
archs: [x86_64]
volumes: [/base]
`;

describe('loadImageConfig', () => {
  test('include: merged under the including file, as apko does', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'common'));
    await writeFile(join(dir, 'common', 'base.yaml'), BASE);
    await writeFile(
      join(dir, 'app.yaml'),
      `include: common/base.yaml
contents:
  packages: [app]
entrypoint:
  command: /usr/bin/app
environment:
  PATH: /usr/local/bin:/usr/bin
annotations:
  org.opencontainers.image.title: app
paths:
  - {path: /app, type: directory}
`,
    );
    const { spec, files } = await loadImageConfig(join(dir, 'app.yaml'));
    assert.equal(files.length, 2);
    assert.deepEqual(spec.contents.packages.map((p) => p.spec), ['wolfi-baselayout', 'ca-certificates-bundle', 'app']);
    assert.deepEqual(spec.contents.repositories, [{ url: 'https://packages.example/os' }]);
    assert.deepEqual(spec.contents.keyring, ['https://packages.example/key.rsa.pub']);
    assert.equal(spec.entrypoint.kind === 'command' && spec.entrypoint.text, '/usr/bin/app');
    assert.equal(spec.cmd?.text, '--base');
    assert.equal(spec.workDir, '/base');
    assert.deepEqual(spec.environment, { PATH: '/usr/local/bin:/usr/bin', LANG: 'C.UTF-8' });
    assert.deepEqual(spec.annotations, { 'org.opencontainers.image.vendor': 'base', 'org.opencontainers.image.title': 'app' });
    assert.deepEqual(spec.paths.map((p) => p.path), ['/base', '/app']);
    assert.equal(spec.accounts.runAs?.text, 'nonroot');
    assert.deepEqual(spec.accounts.users.map((u) => u.username), ['nonroot']);
    assert.deepEqual(spec.archs, ['x86_64']);
    assert.deepEqual(spec.volumes, ['/base']);
  });

  test('an include cycle is refused, naming the chain', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.yaml'), 'include: b.yaml\n');
    await writeFile(join(dir, 'b.yaml'), 'include: ./a.yaml\ncmd: x\n');
    await assert.rejects(loadImageConfig(join(dir, 'a.yaml')), { code: 'CONFIG_INVALID', message: /include cycle: a\.yaml → b\.yaml → a\.yaml/ });
    await writeFile(join(dir, 'self.yaml'), 'include: self.yaml\n');
    await assert.rejects(loadImageConfig(join(dir, 'self.yaml')), { code: 'CONFIG_INVALID', message: /include cycle/ });
  });

  test('an include that leaves the config directory is refused, through .. or a symlink', async () => {
    const outside = await tempDir();
    await writeFile(join(outside, 'secret.yaml'), 'cmd: x\n');
    const dir = await tempDir();
    await mkdir(join(dir, 'images'));
    await writeFile(join(dir, 'images', 'up.yaml'), `include: ../../${join(outside, 'secret.yaml').split('/').slice(-2).join('/')}\n`);
    await assert.rejects(loadImageConfig(join(dir, 'images', 'up.yaml')), { code: 'PATH_UNSAFE', message: /leads outside/ });
    await symlink(join(outside, 'secret.yaml'), join(dir, 'images', 'link.yaml'));
    await writeFile(join(dir, 'images', 'via-link.yaml'), 'include: link.yaml\n');
    await assert.rejects(loadImageConfig(join(dir, 'images', 'via-link.yaml')), { code: 'PATH_UNSAFE' });
    await writeFile(join(dir, 'images', 'abs.yaml'), `include: ${join(outside, 'secret.yaml')}\n`);
    await assert.rejects(loadImageConfig(join(dir, 'images', 'abs.yaml')), { code: 'PATH_UNSAFE', message: /absolute/ });
    // with a wider root, going up is fine
    await writeFile(join(dir, 'base.yaml'), 'cmd: from-base\n');
    await writeFile(join(dir, 'images', 'ok.yaml'), 'include: ../base.yaml\n');
    const { spec } = await loadImageConfig(join(dir, 'images', 'ok.yaml'), { root: dir });
    assert.equal(spec.cmd?.text, 'from-base');
  });

  test('errors in an included file name that file; a missing include is NOT_FOUND', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'top.yaml'), 'include: bad.yaml\n');
    await writeFile(join(dir, 'bad.yaml'), 'cmd: x\nbogus: 1\n');
    await assert.rejects(loadImageConfig(join(dir, 'top.yaml')), { code: 'CONFIG_INVALID', message: /bad\.yaml:2:1: bogus: unknown key/ });
    await writeFile(join(dir, 'missing.yaml'), 'include: nope.yaml\n');
    await assert.rejects(loadImageConfig(join(dir, 'missing.yaml')), { code: 'NOT_FOUND' });
  });
});
