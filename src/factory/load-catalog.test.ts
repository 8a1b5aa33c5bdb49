import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { loadCatalog } from './load-catalog.ts';
import { parseCatalogEntry } from './parse-catalog-entry.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const APKO = `contents:
  repositories: [https://packages.example/os]
  packages: [nginx, ca-certificates-bundle]
entrypoint:
  command: /usr/sbin/nginx
`;

const NGINX = `name: nginx
primary-package: nginx
config: nginx.apko.yaml
lines:
  - name: "1.27"
    constraint: "~1.27"
    eol: 2026-06-01
  - { name: "1.26", constraint: ">=1.26 <1.27" }
`;

const PYTHON = `name: python
description: CPython, the reference Python
primary-package: python-3
config: configs/python.apko.yaml
variants:
  dev:
    add-packages: [busybox, apk-tools>=2.14]
  prod: {}
lines:
  - { name: "3.13", constraint: "~3.13" }
tags:
  floating: [latest, minor]
`;

async function catalog(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-catalog-'));
  dirs.push(root);
  const dir = join(root, 'catalog');
  await mkdir(join(dir, 'configs'), { recursive: true });
  for (const [name, body] of Object.entries(files)) await writeFile(join(root, name), body);
  return dir;
}

describe('catalog', () => {
  test('good entries load with their lines, variants and tag policy; a broken one is an error result beside them', async () => {
    const dir = await catalog({
      'catalog/nginx.yaml': NGINX,
      'catalog/nginx.apko.yaml': APKO,
      'catalog/python.yaml': PYTHON,
      'catalog/configs/python.apko.yaml': APKO.replace('nginx,', 'python-3,'),
      'catalog/broken.yaml': 'name: broken\nprimary-package: broken\nconfig: nginx.apko.yaml\nlines: [{ name: "1", constraint: "~1" }]\ncolour: red\n',
    });
    const { images, errors } = await loadCatalog(dir);
    assert.deepEqual(
      images.map((i) => i.name),
      ['nginx', 'python'],
    );
    const [nginx, python] = images;
    assert.ok(nginx && python);
    assert.equal(nginx.primaryPackage, 'nginx');
    assert.equal(nginx.configFile.endsWith('/catalog/nginx.apko.yaml'), true);
    assert.deepEqual(nginx.spec.entrypoint, { kind: 'command', text: '/usr/sbin/nginx', argv: ['/usr/sbin/nginx'] });
    assert.deepEqual(
      nginx.lines.map((l) => [l.name, l.constraint, l.eol, l.constraints.length]),
      [
        ['1.27', '~1.27', '2026-06-01', 1],
        ['1.26', '>=1.26 <1.27', undefined, 2],
      ],
    );
    assert.deepEqual(nginx.variants.map((v) => [v.name, v.suffix]), [['prod', '']]);
    assert.deepEqual(nginx.tags, { floating: ['latest', 'major', 'minor'] });
    assert.deepEqual(
      python.variants.map((v) => [v.name, v.suffix, v.addPackages]),
      [
        ['prod', '', []],
        ['dev', '-dev', ['busybox', 'apk-tools>=2.14']],
      ],
    );
    assert.notEqual(python.variants[0]?.configDigest, python.variants[1]?.configDigest, 'the variant is part of the config digest');
    assert.deepEqual(python.tags, { floating: ['latest', 'minor'] });
    assert.equal(python.description, 'CPython, the reference Python');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.file, join(dir, 'broken.yaml'));
    assert.equal(errors[0]?.error.code, 'CATALOG_INVALID');
    assert.equal(errors[0]?.error.message, `${join(dir, 'broken.yaml')}:5:1: colour: unknown key "colour"`);
  });

  test('a config path that leaves the catalog directory is refused, written or through a symlink', async () => {
    const dir = await catalog({
      'outside.apko.yaml': APKO,
      'catalog/up.yaml': NGINX.replace('nginx.apko.yaml', '../outside.apko.yaml'),
      'catalog/abs.yaml': NGINX.replace('name: nginx', 'name: abs').replace('nginx.apko.yaml', '/etc/passwd'),
      'catalog/link.yaml': NGINX.replace('name: nginx', 'name: link').replace('nginx.apko.yaml', 'configs/link.apko.yaml'),
      'catalog/missing.yaml': NGINX.replace('name: nginx', 'name: missing').replace('nginx.apko.yaml', 'nope.apko.yaml'),
    });
    await symlink('../../outside.apko.yaml', join(dir, 'configs/link.apko.yaml'));
    const { images, errors } = await loadCatalog(dir);
    assert.deepEqual(images, []);
    assert.deepEqual(
      errors.map((e) => [e.file.slice(dir.length + 1), e.error.code, e.error.message.slice(e.error.message.indexOf(':3:'))]),
      [
        ['abs.yaml', 'PATH_UNSAFE', ':3:9: config "/etc/passwd" is absolute; expected a path relative to the catalog directory'],
        ['link.yaml', 'PATH_UNSAFE', ':3:9: config "configs/link.apko.yaml" leads outside the catalog directory (through a symlink)'],
        ['missing.yaml', 'NOT_FOUND', ':3:9: config "nope.apko.yaml" does not exist'],
        ['up.yaml', 'PATH_UNSAFE', ':3:9: config "../outside.apko.yaml" leads outside the catalog directory'],
      ],
    );
  });

  test('a broken image config fails its entry only; a second entry with a taken name is reported', async () => {
    const dir = await catalog({
      'catalog/a.yaml': NGINX,
      'catalog/b.yaml': NGINX,
      'catalog/nginx.apko.yaml': APKO,
      'catalog/c.yaml': NGINX.replace('name: nginx', 'name: c').replace('nginx.apko.yaml', 'configs/c.apko.yaml'),
      'catalog/configs/c.apko.yaml': APKO + 'entrypoint-typo: x\n',
    });
    const { images, errors } = await loadCatalog(dir);
    assert.deepEqual(
      images.map((i) => i.file.slice(dir.length + 1)),
      ['a.yaml'],
    );
    assert.equal(errors.length, 2);
    assert.equal(errors[0]?.error.code, 'CATALOG_INVALID');
    assert.equal(errors[0]?.error.message, `${join(dir, 'b.yaml')}: image "nginx" is already defined by ${join(dir, 'a.yaml')}`);
    assert.equal(errors[1]?.error.code, 'CONFIG_INVALID');
    assert.match(errors[1]?.error.message ?? '', /c\.apko\.yaml:6:1: .*unknown key "entrypoint-typo"/);
  });

  test('entry fields are checked with file:line:col', () => {
    const bad = (yaml: string, message: RegExp): void =>
      assert.throws(
        () => parseCatalogEntry(yaml, 'catalog/x.yaml'),
        (e: unknown) => e instanceof KilnError && e.code === 'CATALOG_INVALID' && message.test(e.message),
      );
    const base = 'name: x\nprimary-package: x\nconfig: x.apko.yaml\n';
    bad(`${base}lines: []\n`, /^catalog\/x\.yaml:4:8: lines: expected at least one line$/);
    bad(`${base}lines: [{ name: "1", constraint: "1.2" }]\n`, /^catalog\/x\.yaml:4:34: lines\[0\]\.constraint: expected version constraints/);
    bad(`${base}lines: [{ name: "1", constraint: "~1", eol: 2026-02-30 }]\n`, /:4:45: lines\[0\].eol: expected a date YYYY-MM-DD$/);
    bad(`${base}lines: [{ name: "1", constraint: "~1", eol: 2026-13-45 }]\n`, /:4:45: lines\[0\].eol: expected a date YYYY-MM-DD$/);
    bad(`${base}lines:\n  - { name: "1", constraint: "~1" }\n  - { name: "1", constraint: "~2" }\n`, /:6:13: lines\[1\]\.name: line "1" is listed twice$/);
    bad(`${base}lines: [{ name: "1", constraint: "~1" }]\nvariants: { Dev: {} }\n`, /:5:18: variants\.Dev: expected a variant name/);
    bad(`${base}lines: [{ name: "1", constraint: "~1" }]\ntags: { floating: [newest] }\n`, /:5:20: tags\.floating\[0\]: expected one of latest, major, minor$/);
    bad(base.replace('name: x', 'name: X') + 'lines: [{ name: "1", constraint: "~1" }]\n', /^catalog\/x\.yaml:1:7: name: expected a repository name/);
  });
});
