import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KilnError } from '../errors/index.ts';
import { decodeApkIndex, encodeApkIndex, type ApkIndexEntry } from './apkindex.ts';
import { lockEntriesOf, resolveLocked, type ApkLockEntry } from './solver-lock.ts';
import type { ApkResolution } from './solver-result.ts';
import { fakeChecksum, pkg, repo } from './solver-test-fixtures.ts';
import type { SolverRepository } from './solver-universe.ts';
import { solveApkWorld } from './solver.ts';
import { EPOCH, testKeys } from './test-fixtures.ts';

/** World entries with image.yaml-style origins, in the given order. */
function world(...constraints: string[]): { constraint: string; origin: string }[] {
  return constraints.map((constraint, i) => ({ constraint, origin: `image.yaml contents.packages[${i}]` }));
}

/** `name-version` of every chosen package, in result order. */
function chosen(r: ApkResolution): string[] {
  return r.packages.map((p) => `${p.entry.name}-${p.entry.version}`);
}

function solve(constraints: readonly string[], repos: readonly SolverRepository[]): string[] {
  return chosen(solveApkWorld(world(...constraints), repos));
}

function throwsKiln(f: () => unknown, code: string, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof KilnError, `expected a KilnError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.code, code);
    return true;
  });
}

const LIBC = 'so:libc.musl-x86_64.so.1';
const main = repo('/r/main', [
  pkg('musl', '1.2.4-r0', { provides: [`${LIBC}=1`] }),
  pkg('musl', '1.2.5-r0', { provides: [`${LIBC}=1`] }),
  pkg('busybox', '1.36.1-r0', { depends: [LIBC], provides: ['cmd:sh=1.36.1-r0', 'cmd:ls=1.36.1-r0'] }),
  pkg('busybox', '1.37.0-r0', { depends: [LIBC], provides: ['cmd:sh=1.37.0-r0', 'cmd:ls=1.37.0-r0'] }),
  pkg('libssl3', '3.3.2-r0', { depends: [LIBC, 'so:libcrypto.so.3'], provides: ['so:libssl.so.3=3'] }),
  pkg('libcrypto3', '3.3.2-r0', { depends: [LIBC], provides: ['so:libcrypto.so.3=3'] }),
  pkg('pcre2', '10.43-r0', { depends: [LIBC], provides: ['so:libpcre2-8.so.0=0.12.0'] }),
  pkg('nginx', '1.26.2-r0', { depends: [LIBC, 'so:libssl.so.3', 'so:libpcre2-8.so.0'], provides: ['cmd:nginx=1.26.2-r0'] }),
  pkg('nginx', '1.27.4-r0', { depends: [LIBC, 'so:libssl.so.3', 'so:libpcre2-8.so.0'], provides: ['cmd:nginx=1.27.4-r0'] }),
]);

void describe('solveApkWorld: choices', () => {
  void test('newest versions, with dependencies pulled in through so: provides', () => {
    assert.deepEqual(solve(['nginx'], [main]), ['libcrypto3-3.3.2-r0', 'libssl3-3.3.2-r0', 'musl-1.2.5-r0', 'nginx-1.27.4-r0', 'pcre2-10.43-r0']);
  });

  void test('reasons name the constraint that pulled each package in; dependencies list what each needs', () => {
    const r = solveApkWorld(world('nginx', 'busybox'), [main]);
    const musl = r.packages.find((p) => p.entry.name === 'musl');
    assert.deepEqual(musl?.reasons, [
      { kind: 'dependency', constraint: LIBC, by: 'busybox' },
      { kind: 'dependency', constraint: LIBC, by: 'libcrypto3' },
      { kind: 'dependency', constraint: LIBC, by: 'libssl3' },
      { kind: 'dependency', constraint: LIBC, by: 'nginx' },
      { kind: 'dependency', constraint: LIBC, by: 'pcre2' },
    ]);
    const nginx = r.packages.find((p) => p.entry.name === 'nginx');
    assert.deepEqual(nginx?.reasons, [{ kind: 'world', constraint: 'nginx', origin: 'image.yaml contents.packages[0]' }]);
    assert.deepEqual(nginx?.dependencies, ['libssl3', 'musl', 'pcre2']);
    assert.deepEqual(nginx?.repository, { url: '/r/main', arch: 'x86_64' });
    assert.equal(nginx?.entry.checksum, fakeChecksum('nginx', '1.27.4-r0'));
  });

  void test('version pins in the world: =, ~, <', () => {
    assert.deepEqual(solve(['busybox=1.36.1-r0'], [main]), ['busybox-1.36.1-r0', 'musl-1.2.5-r0']);
    assert.deepEqual(solve(['nginx~1.26', 'musl<1.2.5'], [main]), [
      'libcrypto3-3.3.2-r0',
      'libssl3-3.3.2-r0',
      'musl-1.2.4-r0',
      'nginx-1.26.2-r0',
      'pcre2-10.43-r0',
    ]);
  });

  void test('a checksum pin (><) picks that very build', () => {
    const two = repo('/r', [pkg('tool', '1-r0', { build: 'a' }), pkg('tool', '1-r0', { build: 'b' })]);
    const wanted = fakeChecksum('tool', '1-r0', 'b');
    assert.equal(solveApkWorld(world(`tool><${wanted}`), [two]).packages[0]?.entry.checksum, wanted);
  });

  void test('cmd: and so: names in the world resolve to their providers; a versioned provide meets a version constraint', () => {
    assert.deepEqual(solve(['cmd:sh'], [main]), ['busybox-1.37.0-r0', 'musl-1.2.5-r0']);
    assert.deepEqual(solve(['cmd:sh<1.37'], [main]), ['busybox-1.36.1-r0', 'musl-1.2.5-r0']);
    assert.deepEqual(solve(['so:libssl.so.3>=3'], [main]), ['libcrypto3-3.3.2-r0', 'libssl3-3.3.2-r0', 'musl-1.2.5-r0']);
  });

  void test('an unversioned provide meets only an unversioned constraint', () => {
    const r = repo('/r', [pkg('mawk', '1.3-r0', { provides: ['awk'], priority: 1 })]);
    assert.deepEqual(solve(['awk'], [r]), ['mawk-1.3-r0']);
    throwsKiln(
      () => solve(['awk>=1'], [r]),
      'UNSATISFIABLE',
      'no set of packages satisfies: image.yaml contents.packages[0] "awk>=1": awk is provided only without a version (by mawk-1.3-r0), which cannot meet a version constraint',
    );
  });

  void test('among providers: the package of that name, then provider_priority, then the newest version', () => {
    const r = repo('/r', [
      pkg('gawk', '5.3-r0', { provides: ['awk'], priority: 10 }),
      pkg('mawk', '1.3-r0', { provides: ['awk'], priority: 100 }),
      pkg('busybox-awk', '9.0-r0', { provides: ['awk'] }),
      pkg('tool', '1-r0', { depends: ['awk'] }),
    ]);
    assert.deepEqual(solve(['tool'], [r]), ['mawk-1.3-r0', 'tool-1-r0']);
    const withOwn = repo('/r2', [...r.index.entries, pkg('awk', '0.1-r0')]);
    assert.deepEqual(solve(['tool'], [withOwn]), ['awk-0.1-r0', 'tool-1-r0']);
    // same priority: the newest provided version wins
    const versioned = repo('/r3', [
      pkg('libfoo-old', '1-r0', { provides: ['so:libfoo.so.1=1.1'] }),
      pkg('libfoo-new', '1-r0', { provides: ['so:libfoo.so.1=1.2'] }),
    ]);
    assert.deepEqual(solve(['so:libfoo.so.1'], [versioned]), ['libfoo-new-1-r0']);
  });

  void test('a name already taken by a chosen package is not provided twice', () => {
    // both shells provide cmd:sh with a version: once busybox is in, dash cannot join
    const r = repo('/r', [...main.index.entries, pkg('dash', '0.5-r0', { provides: ['cmd:sh=0.5-r0'] }), pkg('app', '1-r0', { depends: ['cmd:sh'] })]);
    assert.deepEqual(solve(['app', 'busybox'], [r]), ['app-1-r0', 'busybox-1.37.0-r0', 'musl-1.2.5-r0']);
    throwsKiln(
      () => solve(['busybox', 'dash'], [r]),
      'UNSATISFIABLE',
      'no set of packages satisfies: image.yaml contents.packages[1] "dash": dash-0.5-r0 cannot be installed next to busybox-1.37.0-r0 (required by image.yaml contents.packages[0] "busybox"): both provide cmd:sh',
    );
  });

  void test('install_if adds a package once all its conditions are installed', () => {
    const r = repo('/r', [
      pkg('a', '1-r0'),
      pkg('docs', '1-r0'),
      pkg('a-doc', '1-r0', { installIf: ['a=1-r0', 'docs'], depends: ['man'] }),
      pkg('man', '2-r0'),
    ]);
    assert.deepEqual(solve(['a'], [r]), ['a-1-r0']);
    const both = solveApkWorld(world('a', 'docs'), [r]);
    assert.deepEqual(chosen(both), ['a-1-r0', 'a-doc-1-r0', 'docs-1-r0', 'man-2-r0']);
    assert.deepEqual(both.packages[1]?.reasons, [{ kind: 'install-if', conditions: ['a=1-r0', 'docs'] }]);
    assert.deepEqual(chosen(solveApkWorld(world('a', 'docs'), [r], { installIf: false })), ['a-1-r0', 'docs-1-r0']);
    // an install_if package that would break the world is left out
    assert.deepEqual(solve(['a', 'docs', '!man'], [r]), ['a-1-r0', 'docs-1-r0']);
  });
});

void describe('solveApkWorld: conflicts and backtracking', () => {
  const r = repo('/r', [
    pkg('a', '1.0-r0'),
    pkg('a', '2.0-r0', { depends: ['c<2'] }),
    pkg('c', '1.5-r0'),
    pkg('c', '2.0-r0'),
    pkg('x', '1-r0'),
    pkg('x', '2-r0', { depends: ['!y'] }),
    pkg('y', '1-r0'),
    pkg('bash', '5.2-r0', { provides: ['cmd:bash=5.2-r0'] }),
    pkg('script', '1-r0', { depends: ['cmd:bash'] }),
  ]);

  void test('the newest a needs c<2 but the world pins c=2.0-r0: an older a is chosen', () => {
    assert.deepEqual(solve(['a', 'c=2.0-r0'], [r]), ['a-1.0-r0', 'c-2.0-r0']);
    assert.deepEqual(solve(['a'], [r]), ['a-2.0-r0', 'c-1.5-r0']);
  });

  void test('the newest x conflicts with y (from its depends): the search backs up to x-1', () => {
    assert.deepEqual(solve(['x', 'y'], [r]), ['x-1-r0', 'y-1-r0']);
    assert.deepEqual(solve(['x'], [r]), ['x-2-r0']);
  });

  void test('backtracking through a dependency chain', () => {
    // top-3 needs mid-3 which needs leaf>=2, but leaf<2 is pinned: top-2 → mid-2 → leaf-1
    const chain = repo('/r', [
      pkg('top', '3-r0', { depends: ['mid>=3'] }),
      pkg('top', '2-r0', { depends: ['mid'] }),
      pkg('mid', '3-r0', { depends: ['leaf>=2'] }),
      pkg('mid', '2-r0', { depends: ['leaf'] }),
      pkg('leaf', '2-r0'),
      pkg('leaf', '1-r0'),
      pkg('other', '1-r0', { depends: ['!mid>=3'] }),
    ]);
    assert.deepEqual(solve(['top', 'leaf<2'], [chain]), ['leaf-1-r0', 'mid-2-r0', 'top-2-r0']);
    assert.deepEqual(solve(['top', 'other'], [chain]), ['leaf-2-r0', 'mid-2-r0', 'other-1-r0', 'top-2-r0']);
  });

  void test('a world conflict (!name, !name<version) keeps packages out', () => {
    assert.deepEqual(solve(['a', '!c<1.6'], [r]), ['a-1.0-r0']);
    throwsKiln(
      () => solve(['script', '!bash'], [r]),
      'UNSATISFIABLE',
      'no set of packages satisfies: image.yaml contents.packages[0] "script": script-1-r0 requires "cmd:bash", but bash-5.2-r0 conflicts with image.yaml contents.packages[1] "!bash"',
    );
  });

  void test('a pin against a dependency names both constraints and their origins', () => {
    const strict = repo('/r', [pkg('a', '1.0-r0', { depends: ['c<2'] }), pkg('c', '1.5-r0'), pkg('c', '2.0-r0')]);
    throwsKiln(
      () => solveApkWorld([{ constraint: 'a', origin: 'image.yaml contents.packages[0]' }, { constraint: 'c=2.0-r0', origin: 'image.yaml contents.packages[4]' }], [strict]),
      'UNSATISFIABLE',
      'no set of packages satisfies: image.yaml contents.packages[0] "a": a-1.0-r0 requires "c<2", but c-1.5-r0 conflicts with image.yaml contents.packages[4] "c=2.0-r0"',
    );
  });

  void test('a dependency nobody provides names the package that needs it', () => {
    const broken = repo('/r/main', [pkg('app', '1-r0', { depends: ['so:libgone.so.1'] })]);
    throwsKiln(
      () => solve(['app'], [broken]),
      'UNSATISFIABLE',
      'no set of packages satisfies: image.yaml contents.packages[0] "app": app-1-r0 requires "so:libgone.so.1", but no package in the repositories (/r/main) provides so:libgone.so.1',
    );
  });

  void test('a version nobody has names the newest there is and where it was looked for', () => {
    throwsKiln(
      () => solve(['nginx>=2'], [main]),
      'UNSATISFIABLE',
      'no set of packages satisfies: image.yaml contents.packages[0] "nginx>=2": the newest nginx in the repositories is 1.27.4-r0 (/r/main)',
    );
  });

  void test("a package's conflict with another world package names the chain that pulled each in", () => {
    const rr = repo('/r', [pkg('app', '1-r0', { depends: ['lib'] }), pkg('lib', '1-r0', { depends: ['!legacy'] }), pkg('legacy', '1-r0')]);
    throwsKiln(
      () => solve(['app', 'legacy'], [rr]),
      'UNSATISFIABLE',
      'no set of packages satisfies: "lib" required by app-1-r0 (required by image.yaml contents.packages[0] "app"): lib-1-r0 requires "!legacy", which rules out legacy-1-r0 (required by image.yaml contents.packages[1] "legacy")',
    );
  });

  void test('an unknown name is PACKAGE_UNKNOWN, naming the repositories searched', () => {
    throwsKiln(
      () => solveApkWorld(world('ngnix', 'busybox', 'zzz'), [main, repo('/r/local', [], 'local')]),
      'PACKAGE_UNKNOWN',
      'unknown package: image.yaml contents.packages[0] "ngnix": no package provides ngnix (did you mean nginx?); image.yaml contents.packages[2] "zzz": no package provides zzz (searched /r/main, @local /r/local)',
    );
  });

  void test('a constraint that is not one is CONSTRAINT_INVALID with its origin', () => {
    assert.throws(() => solve(['nginx>>1'], [main]), (e: unknown) => e instanceof KilnError && e.code === 'CONSTRAINT_INVALID' && e.message.startsWith('image.yaml contents.packages[0]: "nginx>>1"'));
  });
});

void describe('solveApkWorld: tagged repositories', () => {
  const local = repo('/r/local', [pkg('nginx', '1.20.0-r0', { depends: [LIBC, 'nginx-mod'] }), pkg('nginx-mod', '1-r0'), pkg('only-local', '1-r0')], 'local');

  void test('foo@local takes the tagged repository, even over a newer untagged version; its dependencies may come from it', () => {
    const r = solveApkWorld(world('nginx@local'), [main, local]);
    assert.deepEqual(chosen(r), ['musl-1.2.5-r0', 'nginx-1.20.0-r0', 'nginx-mod-1-r0']);
    assert.deepEqual(r.packages[1]?.repository, { url: '/r/local', arch: 'x86_64', tag: 'local' });
    assert.deepEqual(r.packages[0]?.repository, { url: '/r/main', arch: 'x86_64' });
  });

  void test('a plain entry for the same name elsewhere in the world does not override the tag', () => {
    assert.deepEqual(solve(['nginx', 'nginx@local'], [main, local]), ['musl-1.2.5-r0', 'nginx-1.20.0-r0', 'nginx-mod-1-r0']);
  });

  void test('tags pass down the dependency chain, as apk inherits pinning', () => {
    // top@local → mid (untagged) → deep (only in @local): mid passes @local on
    const tagged = repo('/r/local', [pkg('top', '1-r0', { depends: ['mid'] }), pkg('deep', '1-r0')], 'local');
    const untagged = repo('/r/main', [pkg('mid', '1-r0', { depends: ['deep'] })]);
    assert.deepEqual(solve(['top@local'], [untagged, tagged]), ['deep-1-r0', 'mid-1-r0', 'top-1-r0']);
  });

  void test('without the tag, a tagged repository is not used', () => {
    assert.deepEqual(solve(['nginx'], [main, local]), ['libcrypto3-3.3.2-r0', 'libssl3-3.3.2-r0', 'musl-1.2.5-r0', 'nginx-1.27.4-r0', 'pcre2-10.43-r0']);
    throwsKiln(
      () => solve(['only-local'], [main, local]),
      'UNSATISFIABLE',
      'no set of packages satisfies: image.yaml contents.packages[0] "only-local": only-local is only in repositories tagged @local (@local /r/local); write only-local@local',
    );
  });
});

/** A small PRNG so the shuffles are the same on every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

void describe('solveApkWorld: determinism and scale', () => {
  void test('the same result whatever the order of the world, the repositories and their entries', () => {
    const extra = repo('/r/extra', [
      pkg('musl', '1.2.5-r0', { provides: [`${LIBC}=1`], build: 'rebuilt' }), // same version, other checksum
      pkg('dash', '0.5-r0', { provides: ['/bin/sh'], priority: 1 }),
      pkg('mksh', '59-r0', { provides: ['/bin/sh'], priority: 1 }),
    ]);
    const constraints = ['nginx', 'busybox', '/bin/sh', 'so:libssl.so.3'];
    const expected = solveApkWorld(world(...constraints), [main, extra]);
    // dash and mksh tie on priority: the newer package (mksh 59) provides /bin/sh
    assert.deepEqual(chosen(expected), ['busybox-1.37.0-r0', 'libcrypto3-3.3.2-r0', 'libssl3-3.3.2-r0', 'mksh-59-r0', 'musl-1.2.5-r0', 'nginx-1.27.4-r0', 'pcre2-10.43-r0']);
    const musl = expected.packages.find((p) => p.entry.name === 'musl');
    // two builds of musl-1.2.5-r0 tie on everything but the checksum, which decides
    const winner = [fakeChecksum('musl', '1.2.5-r0'), fakeChecksum('musl', '1.2.5-r0', 'rebuilt')].sort()[0];
    assert.equal(musl?.entry.checksum, winner);
    for (let seed = 1; seed <= 25; seed++) {
      const repos = shuffled([main, extra], seed).map((r) => repo(r.url, shuffled(r.index.entries, seed * 7)));
      const w = shuffled(world(...constraints), seed * 13);
      assert.deepEqual(solveApkWorld(w, repos), expected, `seed ${seed}`);
    }
  });

  void test('a search that runs too long stops with the first dead end', () => {
    // six packages, each in five versions taking one of five exclusive names: no fit
    const entries: ApkIndexEntry[] = [];
    for (let p = 0; p < 6; p++) for (let h = 0; h < 5; h++) entries.push(pkg(`p${p}`, `${h + 1}-r0`, { provides: [`slot${h}=1`] }));
    const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
    throwsKiln(
      () => solveApkWorld(world(...names), [repo('/r', entries)], { maxSteps: 20 }),
      'UNSATISFIABLE',
      'no set of packages found within 20 search steps; first dead end: image.yaml contents.packages[5] "p5": ' +
        'p5-5-r0 cannot be installed next to p0-5-r0 (required by image.yaml contents.packages[0] "p0"): both provide slot4; ' +
        'p5-4-r0 cannot be installed next to p1-4-r0 (required by image.yaml contents.packages[1] "p1"): both provide slot3 (and 3 other candidates)',
    );
    assert.throws(() => solve(names, [repo('/r', entries)]), (e: unknown) => e instanceof KilnError && e.message.startsWith('no set of packages satisfies: image.yaml contents.packages[5] "p5"'));
  });

  void test('thousands of entries and a backtrack stay fast', () => {
    // 200 packages × 10 versions, each depending on the next; the newest of every
    // package needs base>=10, but the world pins base=1-r0
    const entries: ApkIndexEntry[] = [];
    for (let i = 0; i < 200; i++) {
      for (let v = 1; v <= 10; v++) {
        // even packages rule the pin out by a dependency (found before searching),
        // odd ones by a conflict (found while searching)
        const depends = [i < 199 ? `p${i + 1}` : 'base', ...(v === 10 ? [i % 2 === 0 ? 'base>=10' : '!base<10'] : [])];
        entries.push(pkg(`p${i}`, `${v}-r0`, { depends, provides: [`so:libp${i}.so.1=${v}`] }));
      }
    }
    for (let v = 1; v <= 10; v++) entries.push(pkg('base', `${v}-r0`));
    const started = performance.now();
    const r = solveApkWorld(world('p0', 'so:libp150.so.1', 'base=1-r0'), [repo('/r', entries)]);
    assert.equal(r.packages.length, 201);
    assert.ok(r.packages.every((p) => p.entry.name === 'base' ? p.entry.version === '1-r0' : p.entry.version === '9-r0'));
    // about 0.1 s; the bound only catches an exponential search (minutes), even on a busy machine
    assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
  });
});

void describe('resolveLocked', () => {
  const lockOf = (r: ApkResolution): ApkLockEntry[] => lockEntriesOf(r).map((e, i) => ({ ...e, origin: `kiln.lock packages[${i}]` }));

  void test('selects exactly the locked packages, with the same reasons as the solve', () => {
    const solved = solveApkWorld(world('nginx=1.26.2-r0'), [main]);
    const lock = lockOf(solved);
    assert.deepEqual(
      lock.map((e) => `${e.name}-${e.version}`),
      ['libcrypto3-3.3.2-r0', 'libssl3-3.3.2-r0', 'musl-1.2.5-r0', 'nginx-1.26.2-r0', 'pcre2-10.43-r0'],
    );
    const locked = resolveLocked(lock, [main], world('nginx=1.26.2-r0'));
    assert.deepEqual(chosen(locked), chosen(solved));
    assert.deepEqual(locked.packages[3]?.reasons, [
      { kind: 'world', constraint: 'nginx=1.26.2-r0', origin: 'image.yaml contents.packages[0]' },
      { kind: 'lock', origin: 'kiln.lock packages[3]' },
    ]);
    assert.deepEqual(locked.packages[3]?.dependencies, solved.packages[3]?.dependencies);
  });

  void test('a wrong checksum is LOCK_MISMATCH naming both checksums and the repository', () => {
    const lock = lockOf(solveApkWorld(world('busybox'), [main]));
    const bad = lock.map((e) => (e.name === 'busybox' ? { ...e, checksum: fakeChecksum('busybox', '1.37.0-r0', 'tampered') } : e));
    throwsKiln(
      () => resolveLocked(bad, [main]),
      'LOCK_MISMATCH',
      `the lockfile does not match the repositories: kiln.lock packages[0]: busybox-1.37.0-r0 is locked with checksum ${fakeChecksum('busybox', '1.37.0-r0', 'tampered')}, but the repositories have ${fakeChecksum('busybox', '1.37.0-r0')} in /r/main`,
    );
  });

  void test('a version gone from the repositories, an unknown name, an incomplete set', () => {
    const musl = { name: 'musl', version: '1.2.5-r0', checksum: fakeChecksum('musl', '1.2.5-r0') };
    throwsKiln(
      () => resolveLocked([{ name: 'busybox', version: '1.35.0-r0', checksum: fakeChecksum('busybox', '1.35.0-r0') }, musl], [main]),
      'LOCK_MISMATCH',
      'the lockfile does not match the repositories: lockfile: busybox-1.35.0-r0 is not in the repositories, which have busybox 1.37.0-r0, 1.36.1-r0',
    );
    throwsKiln(() => resolveLocked([{ ...musl, name: 'muslx' }], [main]), 'PACKAGE_UNKNOWN', 'unknown package in the lockfile: lockfile: muslx (searched /r/main)');
    throwsKiln(
      () => resolveLocked([{ name: 'busybox', version: '1.37.0-r0', checksum: fakeChecksum('busybox', '1.37.0-r0') }], [main], world('busybox', 'nginx')),
      'LOCK_MISMATCH',
      `the locked packages are not a consistent set (regenerate the lockfile): nothing locked meets image.yaml contents.packages[1] "nginx"; nothing locked meets "${LIBC}" required by busybox-1.37.0-r0`,
    );
  });
});

void describe('solveApkWorld over a real APKINDEX', () => {
  void test('entries written and read back as a signed index solve the same', async () => {
    const [key] = testKeys();
    const bytes = await encodeApkIndex({ entries: main.index.entries, key, sourceDateEpoch: EPOCH });
    const index = await decodeApkIndex(bytes, { keys: new Map([[key.keyName, key.publicPem]]) });
    const fromDisk = solveApkWorld(world('nginx', 'cmd:sh'), [{ url: '/r/main', arch: 'x86_64', index }]);
    assert.deepEqual(fromDisk, solveApkWorld(world('nginx', 'cmd:sh'), [main]));
  });
});
