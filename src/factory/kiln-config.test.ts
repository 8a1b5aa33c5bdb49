import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { loadKilnConfig, parseKilnConfig } from './kiln-config.ts';
import { nextDailyRun, parseDuration, parseTimeOfDay } from './schedules.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function rejects(text: string, code: string, message: RegExp): void {
  assert.throws(
    () => parseKilnConfig(text, '/etc/kiln/kiln.yaml'),
    (e: unknown) => e instanceof KilnError && e.code === code && message.test(e.message),
  );
}

describe('kiln.yaml', () => {
  test('an empty file is one machine: PGlite in the state dir, the embedded registry, defaults beside the file', () => {
    const c = parseKilnConfig('', '/etc/kiln/kiln.yaml');
    assert.deepEqual(c, {
      file: '/etc/kiln/kiln.yaml',
      stateDir: '/etc/kiln/.kiln',
      database: { kind: 'embedded', dir: '/etc/kiln/.kiln/db' },
      publish: { kind: 'embedded' },
      keys: {},
      schedules: { dailyMinuteUtc: 120, upstreamEveryMinutes: 360, vulnerabilitiesEveryMinutes: 240 },
      catalogDir: '/etc/kiln/catalog',
      sourceMirrors: [],
      offline: false,
      sources: { debianArchive: false },
    });
    assert.equal('packages' in c, false, 'no packages: no package stage');
  });

  test('every field, relative paths resolved against the file', () => {
    const c = parseKilnConfig(
      `state: /var/lib/kiln
database: postgres://kiln@db.internal:5432/kiln
publish:
  registry:
    prefix: registry.example.com:5000/hardened
    insecure: true
    auth: secrets/auth.json
keys:
  apk: keys/kiln.rsa
  image: /keys/cosign.key
schedules:
  daily: "03:30"
  upstream: 1h30m
  vulnerabilities: 4h
catalog: ../catalog
source-mirrors: [https://mirror.example.com/src, file:///srv/mirror]
offline: yes
`,
      '/etc/kiln/kiln.yaml',
    );
    assert.equal(c.stateDir, '/var/lib/kiln');
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://kiln@db.internal:5432/kiln' });
    assert.deepEqual(c.publish, {
      kind: 'registry',
      prefix: 'registry.example.com:5000/hardened',
      host: 'registry.example.com:5000',
      insecure: true,
      authFile: '/etc/kiln/secrets/auth.json',
    });
    assert.deepEqual(c.keys, { apk: '/etc/kiln/keys/kiln.rsa', image: '/keys/cosign.key' });
    assert.deepEqual(c.schedules, { dailyMinuteUtc: 210, upstreamEveryMinutes: 90, vulnerabilitiesEveryMinutes: 240 });
    assert.equal(c.catalogDir, '/etc/catalog');
    assert.deepEqual(c.sourceMirrors, ['https://mirror.example.com/src', 'file:///srv/mirror']);
    assert.equal(c.offline, true);
  });

  test('an unknown key is named with its line and column', () => {
    rejects('state: /x\nschedules:\n  daily: "02:00"\n  weekly: "03:00"\n', 'CONFIG_INVALID', /^\/etc\/kiln\/kiln\.yaml:4:3: schedules\.weekly: unknown key "weekly"$/);
  });

  test('bad values name the file, line, column and field', () => {
    rejects('schedules:\n  daily: "25:00"\n', 'CONFIG_INVALID', /^\/etc\/kiln\/kiln\.yaml:2:10: schedules\.daily: expected a UTC time of day HH:MM/);
    rejects('schedules:\n  upstream: 90s\n', 'CONFIG_INVALID', /kiln\.yaml:2:13: schedules\.upstream: expected a duration such as 30m, 6h or 1h30m, found "90s"/);
    rejects('database: mysql://x\n', 'CONFIG_INVALID', /kiln\.yaml:1:11: database: expected "embedded" or a postgres:\/\/… URL/);
    rejects('publish:\n  registry:\n    prefix: https://registry.example.com/x\n', 'CONFIG_INVALID', /kiln\.yaml:3:13: publish\.registry\.prefix: expected HOST\[:PORT\]\/PATH/);
    rejects('publish:\n  registry: {}\n', 'CONFIG_INVALID', /kiln\.yaml:2:13: publish\.registry\.prefix: /);
    rejects('offline: maybe\n', 'CONFIG_INVALID', /kiln\.yaml:1:10: offline: expected true or false, found "maybe"/);
    rejects('source-mirrors: [ftp://x]\n', 'CONFIG_INVALID', /kiln\.yaml:1:18: source-mirrors\[0\]: expected an http/);
  });

  test('packages: and sources:, paths relative to the file; the repository defaults to <state>/repo when the stage runs', () => {
    const c = parseKilnConfig(
      `packages:
  repository: /srv/apk
  recipes: ../recipes
  import-deb: [libc6, libc6=2.36-9+deb12u10, busybox-static]
sources:
  debian-archive: yes
`,
      '/etc/kiln/kiln.yaml',
    );
    assert.deepEqual(c.packages, { repository: '/srv/apk', recipesDir: '/etc/recipes', importDeb: ['libc6', 'libc6=2.36-9+deb12u10', 'busybox-static'] });
    assert.deepEqual(c.sources, { debianArchive: true });
    // resolved by the stage, after `kiln serve --state` may have moved the state
    assert.deepEqual(parseKilnConfig('packages:\n  recipes: r\n', '/k/kiln.yaml').packages, { recipesDir: '/k/r', importDeb: [] });
    assert.deepEqual(parseKilnConfig('packages: {}\n', '/k/kiln.yaml').packages, { importDeb: [] }, 'packages: {} still adds the repository');
    assert.equal(parseKilnConfig('packages:\n', '/k/kiln.yaml').packages, undefined, 'YAML null is no value, as everywhere in kiln.yaml');
  });

  test('packages: and sources: errors name the file, line, column and field', () => {
    rejects('packages:\n  recipe: r\n', 'CONFIG_INVALID', /^\/etc\/kiln\/kiln\.yaml:2:3: packages\.recipe: unknown key "recipe"$/);
    rejects('packages:\n  import-deb: libc6\n', 'CONFIG_INVALID', /kiln\.yaml:2:15: packages\.import-deb: expected a list, found "libc6"/);
    rejects('packages:\n  import-deb: [libc6, "Bad Name"]\n', 'CONFIG_INVALID', /kiln\.yaml:2:23: packages\.import-deb\[1\]: expected a Debian package as NAME or NAME=VERSION/);
    rejects('packages:\n  import-deb: [libc6=]\n', 'CONFIG_INVALID', /kiln\.yaml:2:16: packages\.import-deb\[0\]: expected a Debian package/);
    rejects('packages:\n  recipes: [a, b]\n', 'CONFIG_INVALID', /kiln\.yaml:2:12: packages\.recipes: expected text, found a list/);
    rejects('packages: [libc6]\n', 'CONFIG_INVALID', /kiln\.yaml:1:11: packages: expected a mapping, found a list/);
    rejects('sources:\n  debian-archive: sometimes\n', 'CONFIG_INVALID', /kiln\.yaml:2:19: sources\.debian-archive: expected true or false, found "sometimes"/);
    rejects('sources:\n  debian: true\n', 'CONFIG_INVALID', /kiln\.yaml:2:3: sources\.debian: unknown key "debian"/);
  });

  test('loadKilnConfig reads the file; a missing one is NOT_FOUND', async () => {
    const d = await mkdtemp(join(tmpdir(), 'kiln-factory-config-'));
    dirs.push(d);
    await writeFile(join(d, 'kiln.yaml'), 'catalog: images\n');
    const c = await loadKilnConfig(join(d, 'kiln.yaml'));
    assert.equal(c.catalogDir, join(d, 'images'));
    await assert.rejects(loadKilnConfig(join(d, 'nope.yaml')), (e: unknown) => e instanceof KilnError && e.code === 'NOT_FOUND');
  });
});

describe('schedules', () => {
  test('durations: large units first, minutes at least', () => {
    assert.equal(parseDuration('6h'), 360);
    assert.equal(parseDuration('1d2h'), 1560);
    assert.equal(parseDuration('45m'), 45);
    for (const bad of ['', '0m', '30m1h', '1h1h', '10s', '6', 'h']) assert.equal(parseDuration(bad), undefined, bad);
  });

  test('time of day and the next daily run, from --now rather than the clock', () => {
    assert.equal(parseTimeOfDay('00:00'), 0);
    assert.equal(parseTimeOfDay('23:59'), 1439);
    assert.equal(parseTimeOfDay('2:00'), undefined);
    const s = { dailyMinuteUtc: 120, upstreamEveryMinutes: 360, vulnerabilitiesEveryMinutes: 240 };
    assert.equal(nextDailyRun(s, '2025-03-07T01:59:00Z'), '2025-03-07T02:00:00.000Z');
    assert.equal(nextDailyRun(s, '2025-03-07T02:00:00Z'), '2025-03-08T02:00:00.000Z');
    assert.equal(nextDailyRun(s, '2025-03-07T03:00:00+02:00'), '2025-03-07T02:00:00.000Z', '01:00 UTC');
    assert.equal(nextDailyRun(s, '2025-03-07T05:00:00+02:00'), '2025-03-08T02:00:00.000Z', '03:00 UTC');
    assert.throws(() => nextDailyRun(s, '2025-03-07 02:00'), (e: unknown) => e instanceof KilnError && e.code === 'USAGE');
  });
});
