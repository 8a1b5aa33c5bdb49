/**
 * Recipes carry Go (RE2) regular expressions and Go replacement templates
 * (var-transforms, update.version-transform). These translate the parts of Go's
 * syntax that JavaScript spells differently; RE2 is nearly a subset of JavaScript's
 * syntax otherwise. Returns an error message instead of throwing so callers can say
 * where the pattern came from.
 */
export function compileGoRegexp(pattern: string): RegExp | { readonly error: string } {
  let source = pattern;
  let flags = 'g';
  // A leading (?flags) group sets flags for the whole pattern in Go; JavaScript has flags outside.
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    const f = lead[1] ?? '';
    if (f.includes('U')) return { error: 'the (?U) flag (ungreedy) has no JavaScript equivalent' };
    flags += f;
    source = source.slice(lead[0].length);
  }
  // Go's named groups (?P<name>…) are JavaScript's (?<name>…); \A and \z anchor the whole text.
  source = source.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\z/g, '$(?![\\s\\S])');
  try {
    return new RegExp(source, flags);
  } catch (e) {
    return { error: (e as Error).message.replace(/^Invalid regular expression: /, '') };
  }
}

/**
 * Go's Regexp.ReplaceAllString: every non-overlapping match is replaced by the
 * template, where `$1` / `${1}` is a numbered group, `$name` / `${name}` a named
 * group (the longest run of letters, digits and `_`), `$$` a dollar, and a group that
 * does not exist or did not match is empty.
 */
export function goReplaceAll(input: string, re: RegExp, template: string): string {
  const global = re.global ? re : new RegExp(re.source, `${re.flags}g`);
  return input.replace(global, (...args: unknown[]) => {
    const last = args.at(-1);
    const hasNamed = typeof last === 'object' && last !== null;
    const groups = (hasNamed ? last : {}) as Record<string, string | undefined>;
    const numbered = args.slice(0, hasNamed ? -3 : -2) as (string | undefined)[];
    return expandTemplate(template, numbered, groups);
  });
}

function expandTemplate(template: string, numbered: readonly (string | undefined)[], named: Readonly<Record<string, string | undefined>>): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = template[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (/^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        i = close;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        i += m[0].length;
      }
    }
    // Go copies a malformed `$` through as written.
    if (name === undefined) out += '$';
    else out += (/^[0-9]+$/.test(name) ? numbered[Number(name)] : named[name]) ?? '';
  }
  return out;
}
