import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileGoRegexp, goReplaceAll, parseRecipeYaml, recipeVariables, scanVariables, substitute, subpackageVariables } from './index.ts';
import { HELLO, errorOf } from './test-fixtures.ts';

const vars = new Map([
  ['package.name', 'hello'],
  ['package.version', '3.10'],
  ['build.arch', 'x86_64'],
]);
const lookup = (k: string) => vars.get(k);

describe('substitute', () => {
  test('replaces ${{name}}, with or without inner blanks', () => {
    assert.equal(substitute('${{package.name}}-${{ package.version }}-${{\tbuild.arch  }}', lookup, 'f'), 'hello-3.10-x86_64');
  });

  test('leaves shell and template syntax untouched', () => {
    const script = 'echo ${VAR} $(uname -m) {{ x }} ${{package.name}} $${{ literal';
    assert.throws(() => substitute(script, lookup, 'f'));
    const ok = 'echo ${VAR} "$(cmd)" {{ x }} ${{package.name}} ${HOME:-/root} $((1+2)) { {{y}} }';
    assert.equal(substitute(ok, lookup, 'f'), 'echo ${VAR} "$(cmd)" {{ x }} hello ${HOME:-/root} $((1+2)) { {{y}} }');
  });

  test('does not rescan substituted values', () => {
    const self = new Map([['vars.a', '${{vars.b}}']]);
    assert.equal(substitute('${{vars.a}}', (k) => self.get(k), 'f'), '${{vars.b}}');
  });

  test('an unknown variable names itself, the place and the line of a script', () => {
    const e = errorOf(() => substitute('line one\nline two ${{package.nam}}\n', lookup, 'hello.yaml:9:7: pipeline[0].runs'));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.equal(e.message, 'hello.yaml:9:7: pipeline[0].runs: unknown variable ${{package.nam}} (line 2 of the text)');
  });

  test('malformed references are errors', () => {
    assert.equal(errorOf(() => substitute('a ${{ }} b', lookup, 'w')).message, 'w: "${{" at offset 2 is not followed by a variable name');
    assert.equal(errorOf(() => substitute('${{package.name}', lookup, 'w')).message, 'w: "${{package.name" at offset 0 has no closing "}}"');
  });

  test('scanVariables lists names and offsets', () => {
    assert.deepEqual(scanVariables('x${{ a.b }}y${{c}}').refs, [
      { name: 'a.b', start: 1, end: 11 },
      { name: 'c', start: 12, end: 18 },
    ]);
  });
});

describe('recipe variables', () => {
  const recipe = parseRecipeYaml(HELLO, 'hello.yaml');

  test('package, targets, build and triplet variables for x86_64 and aarch64', () => {
    const v = recipeVariables(recipe, { arch: 'amd64' });
    assert.equal(v.get('package.full-version'), '2.12.1-r0');
    assert.equal(v.get('package.epoch'), '0');
    assert.equal(v.get('targets.destdir'), '/home/build/melange-out/hello');
    assert.equal(v.get('targets.contextdir'), '/home/build/melange-out/hello');
    assert.equal(v.get('build.arch'), 'x86_64');
    assert.equal(v.get('build.goarch'), 'amd64');
    assert.equal(v.get('host.triplet.gnu'), 'x86_64-pc-linux-gnu');
    assert.equal(v.get('targets.package.hello-dev'), '/home/build/melange-out/hello-dev');
    assert.equal(v.get('targets.package.hello-lang-de'), '/home/build/melange-out/hello-lang-de');
    const a = recipeVariables(recipe, { arch: 'aarch64' });
    assert.equal(a.get('host.triplet.gnu'), 'aarch64-unknown-linux-gnu');
    assert.equal(a.get('build.goarch'), 'arm64');
    assert.equal(errorOf(() => recipeVariables(recipe, { arch: 'sparc' })).message, 'hello.yaml: unknown architecture "sparc"; expected one of x86_64, aarch64, x86, armv7, ppc64le, s390x, riscv64');
  });

  test('vars and var-transforms (Go regexp and template)', () => {
    const v = recipeVariables(recipe, { arch: 'x86_64' });
    assert.equal(v.get('vars.major'), '2');
    assert.equal(v.get('vars.underscored'), '2_12_1');
  });

  test('subpackage variables point at the subpackage and carry the range item', () => {
    const v = subpackageVariables(recipeVariables(recipe, { arch: 'x86_64' }), 'hello-lang-de', '/home/build', { key: 'de', value: 'German' });
    assert.equal(v.get('targets.subpkgdir'), '/home/build/melange-out/hello-lang-de');
    assert.equal(v.get('targets.contextdir'), '/home/build/melange-out/hello-lang-de');
    assert.equal(v.get('targets.destdir'), '/home/build/melange-out/hello');
    assert.equal(v.get('subpkg.name'), 'hello-lang-de');
    assert.equal(v.get('range.key'), 'de');
    assert.equal(v.get('range.value'), 'German');
  });
});

describe('Go regexps', () => {
  const replace = (input: string, pattern: string, template: string) => {
    const re = compileGoRegexp(pattern);
    assert.ok(re instanceof RegExp, JSON.stringify(re));
    return goReplaceAll(input, re, template);
  };

  test('curl-style dots to underscores, every match', () => {
    assert.equal(replace('8.21.0', '\\.', '_'), '8_21_0');
  });

  test('numbered, braced, named groups and $$', () => {
    assert.equal(replace('1.2.3', '^(\\d+)\\.(\\d+)\\.(\\d+)$', '${1}x$2.$3'), '1x2.3');
    assert.equal(replace('v1.2', '^v(?P<maj>\\d+)\\.(?P<min>\\d+)$', '$min-${maj}$$'), '2-1$');
  });

  test('$1_ names the group "1_", which does not exist (Go semantics)', () => {
    assert.equal(replace('1.2', '^(\\d)\\.(\\d)$', '$1_$2'), '2');
    assert.equal(replace('1.2', '^(\\d)\\.(\\d)$', '${1}_$2'), '1_2');
  });

  test('a leading (?i) flag and a bad pattern', () => {
    assert.equal(replace('ABC', '(?i)b', '-'), 'A-C');
    assert.deepEqual(compileGoRegexp('(?U)a+'), { error: 'the (?U) flag (ungreedy) has no JavaScript equivalent' });
    assert.ok('error' in compileGoRegexp('a('));
  });
});
