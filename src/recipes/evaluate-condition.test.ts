import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateCondition } from './index.ts';
import { errorOf } from './test-fixtures.ts';

const vars = new Map([
  ['build.arch', 'x86_64'],
  ['range.key', '64'],
  ['package.name', 'hello'],
]);
const ev = (expr: string) => evaluateCondition(expr, (k) => vars.get(k));

describe('evaluateCondition', () => {
  test('== and != with both quote styles and substitutions on either side', () => {
    assert.equal(ev(`\${{build.arch}} == 'x86_64'`), true);
    assert.equal(ev(`\${{build.arch}} == "x86_64"`), true);
    assert.equal(ev(`\${{ build.arch }} != "aarch64"`), true);
    assert.equal(ev(`'aarch64' == \${{build.arch}}`), false);
    assert.equal(ev(`"x" == 'x'`), true);
  });

  test('&& and ||, chained', () => {
    assert.equal(ev(`\${{build.arch}} != 'x86_64' && \${{build.arch}} != 'x86'`), false);
    assert.equal(ev(`\${{build.arch}} == 'aarch64' || \${{build.arch}} == 'x86_64'`), true);
    assert.equal(ev(`'a' == 'a' && 'b' == 'b' && 'c' != 'd'`), true);
  });

  test('&& and || combine left to right, as melange evaluates them; parentheses group', () => {
    // (true || false) && false → false; a precedence-based reading would give true.
    assert.equal(ev(`'a' == 'a' || 'b' == 'c' && 'd' == 'e'`), false);
    assert.equal(ev(`'a' == 'a' || ('b' == 'c' && 'd' == 'e')`), true);
    assert.equal(ev(`('rabbit' == 'rabbit' && 'hare' != 'hare') || 'x' == 'x'`), true);
  });

  test('substitution inside quotes, as after melange replaces range variables', () => {
    assert.equal(ev(`"\${{range.key}}" == "64"`), true);
    assert.equal(ev(`"\${{range.key}}" == ""`), false);
  });

  test('escapes in strings', () => {
    assert.equal(ev(`'it\\'s' == "it's"`), true);
    assert.equal(ev(`"a\\\\b" == 'a\\\\b'`), true);
    assert.equal(ev(`"a\\nb" == "a\nb"`), true);
  });

  test('errors quote the expression and the column', () => {
    const cases: [string, string][] = [
      [`\${{build.arch}} = 'x'`, `condition "\${{build.arch}} = 'x'": column 17: expected "==" or "!=" but found "= 'x'"`],
      [`x86_64 == 'x'`, `condition "x86_64 == 'x'": column 1: expected a quoted string or \${{variable}} but found "x86_64 == 'x"`],
      [`'x' == 'x`, `condition "'x' == 'x": column 8: the string opened here has no closing '`],
      [`('a' == 'a'`, `condition "('a' == 'a'": column 12: expected ")" but the condition ends`],
      [`'a' == 'a' 'b'`, `condition "'a' == 'a' 'b'": column 12: expected "&&", "||" or the end, found "'b'"`],
      [`\${{nope}} == ''`, `condition "\${{nope}} == ''": column 1: unknown variable \${{nope}}`],
      [`\${{build.arch} == ''`, `condition "\${{build.arch} == ''": column 1: "\${{build.arch" has no closing "}}"`],
      [``, `condition "": column 1: expected a quoted string or \${{variable}} but the condition ends`],
    ];
    for (const [expr, message] of cases) {
      const e = errorOf(() => ev(expr));
      assert.equal(e.code, 'RECIPE_INVALID');
      assert.equal(e.message, message);
    }
  });
});
