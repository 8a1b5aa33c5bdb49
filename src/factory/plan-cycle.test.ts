import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareApkVersions } from '../apk/index.ts';
import type { ImageSpec } from '../assemble/index.ts';
import { KilnError } from '../errors/index.ts';
import { variantSuffix, type CatalogImage, type CatalogLine } from './catalog-image.ts';
import { plannedResult } from './cycle-result.ts';
import type { Publication } from './history-reader.ts';
import { upstreamVersion } from './image-version.ts';
import { lineAdmits } from './maintenance.ts';
import { parseLineConstraint } from './parse-catalog-entry.ts';
import { planCycle, type CyclePlan, type Resolver } from './plan-cycle.ts';
import { planTags } from './tag-policy.ts';
import { digest, v } from './test-fixtures.ts';
import type { Trigger } from './trigger.ts';

const SCHEDULE: Trigger = { kind: 'schedule' };

function line(primary: string, name: string, constraint: string, eol?: string): CatalogLine {
  return { name, constraint, constraints: parseLineConstraint(primary, constraint) ?? [], ...(eol !== undefined && { eol }) };
}

function image(name: string, lines: readonly CatalogLine[], world: readonly string[], variants: Record<string, readonly string[]> = { prod: [] }): CatalogImage {
  return {
    name,
    file: `catalog/${name}.yaml`,
    primaryPackage: name,
    configFile: `/catalog/${name}.apko.yaml`,
    // The resolver below reads the world from contents.packages.
    spec: { contents: { packages: world.map((spec) => ({ spec })) } } as unknown as ImageSpec,
    variants: Object.entries(variants).map(([n, add]) => ({ name: n, suffix: variantSuffix(n), addPackages: add, configDigest: digest(n === 'prod' ? '1' : '2') })),
    lines,
    tags: { floating: ['latest', 'major', 'minor'] },
  };
}

/** A repository: every version of every package, with a checksum that changes on a rebuild. */
type Repo = Record<string, readonly (readonly [version: string, checksum: string])[]>;

/** Stands in for the solver: each world name at its newest version, the primary one within the line. */
function resolverFor(repo: Repo): Resolver {
  return ({ image: img, line: l, variant }) => {
    const world = [...(img.spec.contents.packages as unknown as { spec: string }[]).map((p) => p.spec), ...variant.addPackages];
    return world.map((name) => {
      const candidates = (repo[name] ?? [])
        .map(([version, checksum]) => ({ name, version: v(version), checksum }))
        .filter((p) => name !== img.primaryPackage || lineAdmits(l, name, p.version))
        .sort((a, b) => compareApkVersions(b.version, a.version));
      const best = candidates[0];
      if (best === undefined) throw new KilnError('UNSATISFIABLE', `no set of packages satisfies: ${name}${name === img.primaryPackage ? ` within ${l.constraint}` : ''}`);
      return best;
    });
  };
}

/** The factory after a plan: every build is published (the wiring's job, simulated with the tag policy). */
class Factory {
  history: Publication[] = [];
  readonly tags: Record<string, string[]> = {};
  readonly catalog: readonly CatalogImage[];
  assemblerVersion = '0.1.0';
  constructor(catalog: readonly CatalogImage[]) {
    this.catalog = catalog;
  }
  run(now: string, repo: Repo, trigger: Trigger = SCHEDULE): CyclePlan {
    const plan = planCycle({ catalog: this.catalog, now, history: this.history, resolve: resolverFor(repo), assemblerVersion: this.assemblerVersion, trigger });
    for (const item of plan.items) {
      const d = item.decision;
      if (d.kind !== 'build') continue;
      const img = this.catalog.find((i) => i.name === item.image);
      assert.ok(img);
      const dg = digest(String(this.history.length % 10));
      const tags = planTags(this.history, { image: item.image, line: item.line, variant: item.variant, primaryVersion: d.primaryVersion, digest: dg, at: now }, img.tags);
      this.tags[`${item.label}@${now}`] = [...tags.tags];
      this.history.push({
        image: item.image,
        line: item.line,
        variant: item.variant,
        version: upstreamVersion(d.primaryVersion),
        primaryVersion: d.primaryVersion,
        digest: dg,
        publishedAt: now,
        tags: [tags.versionTag, tags.timestampTag],
        fingerprint: d.fingerprint,
        inputs: d.inputs,
      });
    }
    return plan;
  }
}

/** `label kind newVersion? reason`, one line per item: exact, and readable when it fails. */
function summary(plan: CyclePlan): string[] {
  return plan.items.map((i) => {
    const d = i.decision;
    return d.kind === 'build' ? `${i.label} build${d.newVersion ? ' new' : ''}: ${d.reason}` : `${i.label} ${d.kind}: ${d.reason}`;
  });
}

const DAY1: Repo = {
  nginx: [['1.27.4-r0', 'Q1n4']],
  openssl: [['3.3.1-r0', 'Q1o1']],
  zlib: [['1.3.1-r0', 'Q1z1']],
  busybox: [['1.37.0-r0', 'Q1b1']],
  gcc: [['14.2.0-r0', 'Q1g1']],
};

describe('planCycle: the daily timeline', () => {
  test('built, unchanged, another package, a new primary version, frozen from then on; toolchain changes never rebuild', () => {
    const f = new Factory([image('nginx', [line('nginx', '1.27', '~1.27')], ['nginx', 'openssl', 'zlib'], { prod: [], dev: ['busybox'] })]);

    const day1 = f.run('2025-03-01T02:00:00Z', DAY1);
    assert.deepEqual(summary(day1), ['nginx:1.27.4 build new: new version 1.27.4 (nginx 1.27.4-r0)', 'nginx:1.27.4-dev build new: new version 1.27.4 (nginx 1.27.4-r0)']);
    assert.deepEqual(f.tags['nginx:1.27.4@2025-03-01T02:00:00Z'], ['1.27.4', '1.27.4-202503010200', 'latest', '1', '1.27']);
    assert.deepEqual(f.tags['nginx:1.27.4-dev@2025-03-01T02:00:00Z'], ['1.27.4-dev', '1.27.4-dev-202503010200', 'latest-dev', '1-dev', '1.27-dev']);

    const day2 = f.run('2025-03-02T02:00:00Z', DAY1);
    assert.deepEqual(summary(day2), ['nginx:1.27.4 skip: no package changed', 'nginx:1.27.4-dev skip: no package changed']);
    assert.deepEqual(day2.items.map(plannedResult), [
      { image: 'nginx:1.27.4', status: 'skipped', reason: 'no package changed' },
      { image: 'nginx:1.27.4-dev', status: 'skipped', reason: 'no package changed' },
    ]);

    const day3repo: Repo = { ...DAY1, openssl: [...(DAY1['openssl'] ?? []), ['3.3.2-r0', 'Q1o2']] };
    const day3 = f.run('2025-03-03T02:00:00Z', day3repo);
    assert.deepEqual(summary(day3), ['nginx:1.27.4 build: openssl 3.3.1-r0 → 3.3.2-r0', 'nginx:1.27.4-dev build: openssl 3.3.1-r0 → 3.3.2-r0']);
    assert.deepEqual(f.tags['nginx:1.27.4@2025-03-03T02:00:00Z'], ['1.27.4', '1.27.4-202503030200', 'latest', '1', '1.27']);

    const day4repo: Repo = { ...day3repo, nginx: [...(DAY1['nginx'] ?? []), ['1.27.5-r0', 'Q1n5']] };
    const day4 = f.run('2025-03-04T02:00:00Z', day4repo);
    assert.deepEqual(summary(day4), [
      'nginx:1.27.5 build new: new version 1.27.5: nginx 1.27.4-r0 → 1.27.5-r0',
      'nginx:1.27.4 skip: unmaintained: superseded by 1.27.5',
      'nginx:1.27.5-dev build new: new version 1.27.5: nginx 1.27.4-r0 → 1.27.5-r0',
      'nginx:1.27.4-dev skip: unmaintained: superseded by 1.27.5',
    ]);
    assert.deepEqual(f.tags['nginx:1.27.5@2025-03-04T02:00:00Z'], ['1.27.5', '1.27.5-202503040200', 'latest', '1', '1.27']);

    // Day 5: openssl again; only the maintained version is rebuilt.
    const day5repo: Repo = { ...day4repo, openssl: [['3.3.3-r0', 'Q1o3']] };
    const day5 = f.run('2025-03-05T02:00:00Z', day5repo);
    assert.deepEqual(summary(day5), [
      'nginx:1.27.5 build: openssl 3.3.2-r0 → 3.3.3-r0',
      'nginx:1.27.4 skip: unmaintained: superseded by 1.27.5',
      'nginx:1.27.5-dev build: openssl 3.3.2-r0 → 3.3.3-r0',
      'nginx:1.27.4-dev skip: unmaintained: superseded by 1.27.5',
    ]);

    // Day 6: only the toolchain changed (gcc is in build environments, in no image's resolution).
    const day6 = f.run('2025-03-06T02:00:00Z', { ...day5repo, gcc: [['14.2.0-r1', 'Q1g2']] });
    assert.deepEqual(summary(day6), [
      'nginx:1.27.5 skip: no package changed',
      'nginx:1.27.4 skip: unmaintained: superseded by 1.27.5',
      'nginx:1.27.5-dev skip: no package changed',
      'nginx:1.27.4-dev skip: unmaintained: superseded by 1.27.5',
    ]);
    assert.equal(f.history.filter((p) => p.version === '1.27.4').length, 4, '1.27.4 was published on days 1 and 3 only, in two variants');
  });

  test('a new revision of the primary package, a rebuilt package, a config or assembler change: same version, named reasons', () => {
    const f = new Factory([image('nginx', [line('nginx', '1.27', '~1.27')], ['nginx', 'openssl', 'zlib'])]);
    f.run('2025-03-01T02:00:00Z', DAY1);
    const r1 = { ...DAY1, nginx: [['1.27.4-r1', 'Q1n4b']] as const, zlib: [['1.3.1-r0', 'Q1z1b']] as const };
    assert.deepEqual(summary(f.run('2025-03-02T02:00:00Z', r1)), ['nginx:1.27.4 build: nginx 1.27.4-r0 → 1.27.4-r1, zlib 1.3.1-r0 rebuilt']);
    f.assemblerVersion = '0.2.0';
    assert.deepEqual(summary(f.run('2025-03-03T02:00:00Z', r1)), ['nginx:1.27.4 build: assembler 0.1.0 → 0.2.0']);
    const edited = [{ ...f.catalog[0], variants: f.catalog[0]?.variants.map((x) => ({ ...x, configDigest: digest('e') })) } as CatalogImage];
    const g = Object.assign(new Factory(edited), { history: f.history, assemblerVersion: '0.2.0' });
    assert.deepEqual(summary(g.run('2025-03-04T02:00:00Z', r1)), ['nginx:1.27.4 build: image config changed']);
    const withCa = { ...r1, 'ca-certificates': [['20250101-r0', 'Q1c1']] as const };
    const h = Object.assign(new Factory([image('nginx', [line('nginx', '1.27', '~1.27')], ['nginx', 'openssl', 'ca-certificates'])]), { history: f.history, assemblerVersion: '0.2.0' });
    h.history = g.history.map((p) => ({ ...p, inputs: p.inputs && { ...p.inputs, configDigest: digest('1') } }));
    assert.deepEqual(summary(h.run('2025-03-05T02:00:00Z', withCa)), ['nginx:1.27.4 build: ca-certificates 20250101-r0 added, zlib 1.3.1-r0 removed']);
  });

  test('several lines: each keeps its own maintained version; latest is not moved by the older line', () => {
    const repo: Repo = { ...DAY1, nginx: [['1.27.4-r0', 'Q1n4'], ['1.26.3-r0', 'Q1n3']] };
    const f = new Factory([image('nginx', [line('nginx', '1.27', '~1.27'), line('nginx', '1.26', '~1.26')], ['nginx', 'openssl'])]);
    assert.deepEqual(summary(f.run('2025-03-01T02:00:00Z', repo)), [
      'nginx:1.27.4 build new: new version 1.27.4 (nginx 1.27.4-r0)',
      'nginx:1.26.3 build new: new version 1.26.3 (nginx 1.26.3-r0)',
    ]);
    assert.deepEqual(f.tags['nginx:1.26.3@2025-03-01T02:00:00Z'], ['1.26.3', '1.26.3-202503010200', '1.26']);
    const day2 = { ...repo, openssl: [['3.3.2-r0', 'Q1o2']] as const };
    f.run('2025-03-02T02:00:00Z', day2);
    assert.deepEqual(f.tags['nginx:1.26.3@2025-03-02T02:00:00Z'], ['1.26.3', '1.26.3-202503020200', '1.26']);
    assert.deepEqual(f.tags['nginx:1.27.4@2025-03-02T02:00:00Z'], ['1.27.4', '1.27.4-202503020200', 'latest', '1', '1.27']);
  });
});

describe('planCycle: triggers, end of life, failures', () => {
  const catalog = [
    image('nginx', [line('nginx', '1.27', '~1.27')], ['nginx', 'openssl', 'zlib']),
    image('redis', [line('redis', '7.4', '~7.4')], ['redis', 'zlib']),
  ];
  const repo: Repo = { ...DAY1, redis: [['7.4.2-r0', 'Q1r2']] };

  test('an urgent fix plans builds only for image versions that contain an affected package', () => {
    const f = new Factory(catalog);
    f.run('2025-03-01T02:00:00Z', repo);
    const fixed: Repo = { ...repo, openssl: [['3.3.2-r0', 'Q1o2']], zlib: [['1.3.1-r1', 'Q1z2']] };
    const urgent: Trigger = { kind: 'urgent-fix', advisory: 'CVE-2025-0001', packages: ['openssl'] };
    assert.deepEqual(summary(f.run('2025-03-01T09:13:00Z', fixed, urgent)), [
      'nginx:1.27.4 build: CVE-2025-0001: openssl 3.3.1-r0 → 3.3.2-r0, zlib 1.3.1-r0 → 1.3.1-r1',
      'redis:7.4.2 skip: not affected by CVE-2025-0001: contains none of openssl',
    ]);
    assert.deepEqual(f.tags['nginx:1.27.4@2025-03-01T09:13:00Z'], ['1.27.4', '1.27.4-202503010913', 'latest', '1', '1.27']);
    assert.deepEqual(summary(f.run('2025-03-01T10:00:00Z', fixed, urgent)), [
      'nginx:1.27.4 skip: CVE-2025-0001: contains openssl, but no package changed',
      'redis:7.4.2 skip: not affected by CVE-2025-0001: contains none of openssl',
    ]);
    // The daily cycle picks up what the urgent one left out.
    assert.deepEqual(summary(f.run('2025-03-02T02:00:00Z', fixed)), ['nginx:1.27.4 skip: no package changed', 'redis:7.4.2 build: zlib 1.3.1-r0 → 1.3.1-r1']);
  });

  test('package-updated limits like an urgent fix, without the advisory', () => {
    const f = new Factory(catalog);
    f.run('2025-03-01T02:00:00Z', repo);
    const t: Trigger = { kind: 'package-updated', packages: [{ name: 'redis', from: v('7.4.2-r0'), to: v('7.4.3-r0') }] };
    assert.deepEqual(summary(f.run('2025-03-01T05:00:00Z', { ...repo, redis: [['7.4.3-r0', 'Q1r3']] }, t)), [
      'nginx:1.27.4 skip: contains none of the updated packages (redis)',
      'redis:7.4.3 build new: new version 7.4.3: redis 7.4.2-r0 → 7.4.3-r0',
      'redis:7.4.2 skip: unmaintained: superseded by 7.4.3',
    ]);
  });

  test('an end-of-life line is not rebuilt from 00:00 UTC on its date; its versions stay listed', () => {
    const eol = [image('nginx', [line('nginx', '1.27', '~1.27', '2025-03-03')], ['nginx', 'openssl'])];
    const f = new Factory(eol);
    f.run('2025-03-01T02:00:00Z', DAY1);
    const changed = { ...DAY1, openssl: [['3.3.2-r0', 'Q1o2']] as const };
    assert.deepEqual(summary(f.run('2025-03-02T23:59:00Z', changed)), ['nginx:1.27.4 build: openssl 3.3.1-r0 → 3.3.2-r0']);
    assert.deepEqual(summary(f.run('2025-03-03T00:00:00Z', { ...changed, openssl: [['3.3.3-r0', 'Q1o3']] })), [
      'nginx:1.27.4 skip: line 1.27 reached end of life on 2025-03-03',
    ]);
    const never = new Factory(eol);
    assert.deepEqual(summary(never.run('2025-04-01T02:00:00Z', DAY1)), ['nginx (line 1.27) skip: line 1.27 reached end of life on 2025-03-03']);
  });

  test('a resolution that fails is a failed item with the error; the rest of the catalog is planned', () => {
    const f = new Factory(catalog);
    const plan = f.run('2025-03-01T02:00:00Z', { ...repo, nginx: [['1.28.0-r0', 'Q1n8']] });
    assert.deepEqual(summary(plan), [
      'nginx (line 1.27) failed: UNSATISFIABLE: no set of packages satisfies: nginx within ~1.27',
      'redis:7.4.2 build new: new version 7.4.2 (redis 7.4.2-r0)',
    ]);
    assert.deepEqual(plannedResult(plan.items[0] ?? assert.fail()), {
      image: 'nginx (line 1.27)',
      status: 'failed',
      reason: 'UNSATISFIABLE: no set of packages satisfies: nginx within ~1.27',
    });
    const d = plan.items[0]?.decision;
    assert.ok(d?.kind === 'failed' && d.error instanceof KilnError && d.error.code === 'UNSATISFIABLE');
  });

  test('a resolver that ignores the line, or repositories that went backwards, fail the maintained version', () => {
    const f = new Factory([catalog[0] as CatalogImage]);
    f.run('2025-03-01T02:00:00Z', DAY1);
    const wrong: Resolver = () => [{ name: 'nginx', version: v('1.28.0-r0'), checksum: 'Q1x' }];
    const p1 = planCycle({ catalog: f.catalog, now: '2025-03-02T02:00:00Z', history: f.history, resolve: wrong, assemblerVersion: '0.1.0', trigger: SCHEDULE });
    assert.deepEqual(summary(p1), ['nginx:1.27.4 failed: the resolution has nginx 1.28.0-r0, outside line 1.27 (~1.27)']);
    const missing: Resolver = () => [{ name: 'openssl', version: v('3.3.1-r0'), checksum: 'Q1o1' }];
    const p2 = planCycle({ catalog: f.catalog, now: '2025-03-02T02:00:00Z', history: f.history, resolve: missing, assemblerVersion: '0.1.0', trigger: SCHEDULE });
    assert.deepEqual(summary(p2), ['nginx:1.27.4 failed: the resolution has no nginx (the primary package)']);
    assert.deepEqual(summary(f.run('2025-03-02T02:00:00Z', { ...DAY1, nginx: [['1.27.3-r0', 'Q1n3']] })), [
      'nginx:1.27.4 failed: the repositories offer nginx 1.27.3-r0, older than the published 1.27.4; not rebuilt',
    ]);
  });

  test('two lines whose constraints overlap do not both maintain one version', () => {
    const overlapping = [image('nginx', [line('nginx', '1.27', '~1.27'), line('nginx', '1', '~1')], ['nginx', 'openssl'])];
    assert.deepEqual(summary(new Factory(overlapping).run('2025-03-01T02:00:00Z', DAY1)), [
      'nginx:1.27.4 build new: new version 1.27.4 (nginx 1.27.4-r0)',
      "nginx:1.27.4 failed: nginx 1.27.4 is also in line 1.27: the lines' constraints overlap (1: ~1)",
    ]);
  });

  test('a record without its inputs still rebuilds on a new fingerprint, saying so', () => {
    const f = new Factory([catalog[0] as CatalogImage]);
    f.run('2025-03-01T02:00:00Z', DAY1);
    const old = f.history.map(({ inputs: _inputs, ...p }) => ({ ...p, fingerprint: 'sha256:0ld' as Publication['fingerprint'] }));
    const plan = planCycle({ catalog: f.catalog, now: '2025-03-02T02:00:00Z', history: old, resolve: resolverFor(DAY1), assemblerVersion: '0.1.0', trigger: SCHEDULE });
    assert.match(summary(plan)[0] ?? '', /^nginx:1\.27\.4 build: inputs changed \(fingerprint sha256:0ld → sha256:[0-9a-f]{64}\)$/);
  });

  test('only the named images are planned; --now must be an ISO time', () => {
    const plan = planCycle({ catalog, now: '2025-03-01T02:00:00Z', history: [], resolve: resolverFor(repo), assemblerVersion: '0.1.0', trigger: { kind: 'manual', by: 'ops' }, only: ['redis'] });
    assert.deepEqual(summary(plan), ['redis:7.4.2 build new: new version 7.4.2 (redis 7.4.2-r0)']);
    assert.throws(
      () => planCycle({ catalog, now: 'tomorrow', history: [], resolve: resolverFor(repo), assemblerVersion: '0.1.0', trigger: SCHEDULE }),
      (e: unknown) => e instanceof KilnError && e.code === 'USAGE',
    );
  });

  test('the fingerprint covers checksums, config, assembler and variant, and not package order', () => {
    const f = new Factory(catalog);
    const plan = f.run('2025-03-01T02:00:00Z', repo);
    const d = plan.items[0]?.decision;
    assert.ok(d?.kind === 'build');
    const reordered = planCycle({
      catalog,
      now: '2025-03-01T02:00:00Z',
      history: [],
      resolve: (t) => [...resolverFor(repo)(t)].reverse(),
      assemblerVersion: '0.1.0',
      trigger: SCHEDULE,
    }).items[0]?.decision;
    assert.ok(reordered?.kind === 'build');
    assert.equal(reordered.fingerprint, d.fingerprint);
    assert.match(d.fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(d.inputs.packages.map((p) => p.name), ['nginx', 'openssl', 'zlib']);
  });
});
