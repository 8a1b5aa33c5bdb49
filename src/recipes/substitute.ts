import { KilnError } from '../errors/index.ts';

/**
 * `${{name}}` substitution as melange's cond.Subst does it: after `${{` come optional
 * blanks, a name of letters, digits and `. - _`, optional blanks, then `}}`. Nothing
 * else in the text is touched, so shell `${VAR}`, `$(cmd)` and `{{ x }}` pass through.
 * Replaced values are not scanned again.
 */

/** Resolves a variable name (`package.version`) to its value; undefined when unknown. */
export type VariableLookup = (name: string) => string | undefined;

/** One `${{…}}` in a text: the name and where it sits (UTF-16 offsets, end exclusive). */
export type VariableReference = { readonly name: string; readonly start: number; readonly end: number };

/** A `${{` that does not form a reference: nothing named, or no closing `}}`. */
export type VariableSyntaxProblem = { readonly offset: number; readonly message: string };

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isNameChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9._-]/.test(c);

/** Every `${{…}}` in `text`, in order, and every malformed one. */
export function scanVariables(text: string): { readonly refs: readonly VariableReference[]; readonly problems: readonly VariableSyntaxProblem[] } {
  const refs: VariableReference[] = [];
  const problems: VariableSyntaxProblem[] = [];
  let i = 0;
  for (;;) {
    const start = text.indexOf('${{', i);
    if (start < 0) break;
    i = start + 3;
    while (isBlank(text[i])) i++;
    const nameStart = i;
    while (isNameChar(text[i])) i++;
    const name = text.slice(nameStart, i);
    if (name === '') {
      problems.push({ offset: start, message: `"\${{" at offset ${start} is not followed by a variable name` });
      continue;
    }
    while (isBlank(text[i])) i++;
    if (!text.startsWith('}}', i)) {
      problems.push({ offset: start, message: `"\${{${name}" at offset ${start} has no closing "}}"` });
      continue;
    }
    i += 2;
    refs.push({ name, start, end: i });
  }
  return { refs, problems };
}

/**
 * Replaces every `${{name}}` in `text` with `lookup(name)`. An unknown name or a
 * malformed `${{` is a KilnError (RECIPE_INVALID by default) naming the variable and
 * `where` (the file position and field, e.g. `hello.yaml:14:5: pipeline[2].runs`).
 */
export function substitute(text: string, lookup: VariableLookup, where: string, code: 'RECIPE_INVALID' | 'PIPELINE_INVALID' = 'RECIPE_INVALID'): string {
  if (!text.includes('${{')) return text;
  const { refs, problems } = scanVariables(text);
  const first = problems[0];
  if (first) throw new KilnError(code, `${where}: ${first.message}${lineHint(text, first.offset)}`);
  let out = '';
  let at = 0;
  for (const ref of refs) {
    const value = lookup(ref.name);
    if (value === undefined) throw new KilnError(code, `${where}: ${unknownVariableMessage(ref.name)}${lineHint(text, ref.start)}`);
    out += text.slice(at, ref.start) + value;
    at = ref.end;
  }
  return out + text.slice(at);
}

/** `unknown variable ${{inputs.foo}}`, with a hint for the usual mistakes. */
export function unknownVariableMessage(name: string, scopeHint?: string): string {
  let hint = scopeHint ?? '';
  if (hint === '') {
    if (name.startsWith('range.')) hint = ' (range.key and range.value exist only in a subpackage with range:)';
    else if (name.startsWith('inputs.')) hint = ' (inputs exist only inside a pipeline definition that declares them)';
    else if (name.startsWith('vars.')) hint = ` (no vars: entry or var-transforms to: defines ${name.slice(5)})`;
    else if (name === 'targets.subpkgdir' || name === 'subpkg.name') hint = ' (it exists only in a subpackage)';
  }
  return `unknown variable \${{${name}}}${hint}`;
}

/** ` (line 3 of the text)` for a multi-line text, so a long script's problem can be found. */
export function lineHint(text: string, offset: number): string {
  if (!text.includes('\n')) return '';
  let line = 1;
  for (let k = 0; k < offset; k++) if (text.charCodeAt(k) === 10) line++;
  return ` (line ${line} of the text)`;
}
