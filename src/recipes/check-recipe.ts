import { KilnError, formatPath, isKilnError } from '../errors/index.ts';
import type { YamlSource, YamlValue } from '../yaml/index.ts';
import { evaluateCondition } from './evaluate-condition.ts';
import { compileGoRegexp } from './go-regexp.ts';
import type { Dependencies, Recipe } from './recipe-types.ts';
import { rangeItems, recipeVariables, subpackageVariables, type Variables } from './recipe-variables.ts';
import { scanVariables, substitute, unknownVariableMessage } from './substitute.ts';

/** How many problems one error lists before "and N more". */
const MAX_LISTED = 8;

type Problem = { readonly path: readonly PropertyKey[]; readonly message: string };

/**
 * The checks that need the whole recipe, after the schema accepted its shape: every
 * `${{…}}` names a variable that exists where it is used, every `if:` parses, ranges
 * name data tables, regexps compile, and package names are valid and distinct after
 * substitution. All problems are reported at once, as `file:line:col: field: message`.
 */
export function checkRecipe(recipe: Recipe, source: YamlSource): void {
  const problems: Problem[] = [];
  recipe.subpackages.forEach((s, i) => {
    if (s.range !== undefined && !recipe.data.some((d) => d.name === s.range)) {
      const names = recipe.data.map((d) => d.name);
      problems.push({ path: ['subpackages', i, 'range'], message: `range ${JSON.stringify(s.range)} names no data: table (${names.length ? `tables: ${names.join(', ')}` : 'the recipe has no data:'})` });
    }
  });
  const seenData = new Set<string>();
  recipe.data.forEach((d, i) => {
    if (seenData.has(d.name)) problems.push({ path: ['data', i, 'name'], message: `a data: table named ${JSON.stringify(d.name)} is already defined` });
    seenData.add(d.name);
  });
  checkRegexps(recipe, problems);
  // Variables need the vars and ranges to be sound; check them only then.
  if (problems.length === 0) {
    const base = safeVariables(recipe, problems);
    if (base) {
      checkStrings(recipe, source.value, base, problems);
      checkNames(recipe, base, problems);
    }
  }
  if (problems.length > 0) throw locatedError(source, problems);
}

function checkRegexps(recipe: Recipe, problems: Problem[]): void {
  const check = (pattern: string, path: readonly PropertyKey[]) => {
    const re = compileGoRegexp(pattern);
    if (!(re instanceof RegExp)) problems.push({ path, message: `${JSON.stringify(pattern)} is not a valid regular expression: ${re.error}` });
  };
  recipe.varTransforms.forEach((t, i) => check(t.match, ['var-transforms', i, 'match']));
  recipe.update?.ignoreRegexPatterns.forEach((p, i) => check(p, ['update', 'ignore-regex-patterns', i]));
  recipe.update?.versionTransform.forEach((t, i) => check(t.match, ['update', 'version-transform', i, 'match']));
}

/** Builds the variables (the names are the same for every architecture), reporting vars problems at their field. */
function safeVariables(recipe: Recipe, problems: Problem[]): Variables | undefined {
  const known = new Set(['package.name', 'package.version', 'package.epoch', 'package.full-version', 'package.description']);
  for (const [name, value] of Object.entries(recipe.vars)) {
    for (const ref of scanVariables(value).refs) {
      if (!known.has(ref.name) && !ref.name.startsWith('vars.')) problems.push({ path: ['vars', name], message: `${unknownVariableMessage(ref.name)} (vars may use package fields and other vars)` });
    }
  }
  try {
    return problems.length ? undefined : recipeVariables(recipe, { arch: 'x86_64' });
  } catch (e) {
    if (!isKilnError(e)) throw e;
    const field = /: (vars\.[^:]+|var-transforms\[\d+\]\.from): /.exec(e.message);
    problems.push({ path: field ? pathOf(field[1] ?? '') : [], message: e.message.replace(/^.*?: (?:vars\.[^:]+|var-transforms\[\d+\]\.from): /, '') });
    return undefined;
  }
}

/** `var-transforms[2].from` → ['var-transforms', 2, 'from']. */
function pathOf(field: string): PropertyKey[] {
  return field.split(/\.|(?=\[)/).map((p) => (/^\[\d+\]$/.test(p) ? Number(p.slice(1, -1)) : p));
}

/**
 * Fields whose text is not substituted (melange copies them as written): data tables,
 * regexps and their templates, limits, linter names, and most of update:.
 */
function substituted(path: readonly PropertyKey[]): boolean {
  const [top, second, third, fourth] = path;
  switch (top) {
    case 'data':
    case 'options':
    case 'capabilities':
      return false;
    case 'var-transforms':
      return third === 'from';
    case 'update': {
      const filters = ['identifier', 'tag-filter', 'tag-filter-prefix', 'tag-filter-contains', 'version-filter-prefix', 'version-filter-contains'];
      return (second === 'github' || second === 'git' || second === 'release-monitor') && typeof third === 'string' && filters.includes(third) && !(second === 'release-monitor' && third === 'identifier');
    }
    case 'package':
      if (second === 'copyright') return fourth !== 'attestation' && fourth !== 'detection-override';
      return !['epoch', 'commit', 'checks', 'cpe', 'setcap', 'timeout', 'resources', 'test-resources', 'options'].includes(String(second));
    case 'subpackages':
      return !['checks', 'options', 'setcap', 'range', 'commit'].includes(String(third));
    default:
      return true;
  }
}

/** Walks every text in the YAML and checks its `${{…}}` against the variables of its scope; `if:` texts must parse. */
function checkStrings(recipe: Recipe, root: YamlValue, base: Variables, problems: Problem[]): void {
  // Inside a subpackage its own variables exist too; range values do not matter for names.
  const scopes = recipe.subpackages.map((s) => subpackageVariables(base, s.name, undefined, s.range !== undefined ? { key: '', value: '' } : undefined));
  const visit = (v: YamlValue, path: readonly PropertyKey[]) => {
    if (v === null) return;
    if (typeof v === 'string') {
      if (!substituted(path)) return;
      const vars = path[0] === 'subpackages' && typeof path[1] === 'number' ? (scopes[path[1]] ?? base) : base;
      checkText(v, path, vars, problems);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item: YamlValue, i: number) => visit(item, [...path, i]));
      return;
    }
    for (const [k, item] of Object.entries(v)) visit(item, [...path, k]);
  };
  visit(root, []);
}

function checkText(text: string, path: readonly PropertyKey[], vars: Variables, problems: Problem[]): void {
  const { refs, problems: syntax } = scanVariables(text);
  for (const s of syntax) problems.push({ path, message: s.message });
  for (const ref of refs) if (!vars.has(ref.name)) problems.push({ path, message: unknownVariableMessage(ref.name) });
  // A step's or subpackage's `if:` (not a `with:` input that happens to be called if).
  if (path.at(-1) === 'if' && typeof path.at(-2) === 'number' && syntax.length === 0 && refs.every((r) => vars.has(r.name))) {
    try {
      evaluateCondition(text, (name) => vars.get(name));
    } catch (e) {
      if (!isKilnError(e)) throw e;
      problems.push({ path, message: e.message });
    }
  }
}

/** Package names after substitution: valid, and no two alike (melange's validate). */
function checkNames(recipe: Recipe, base: Variables, problems: Problem[]): void {
  const NAME = /^[a-zA-Z\d][a-zA-Z\d+_.-]*$/;
  const seen = new Map<string, string>([[recipe.package.name, 'the main package']]);
  recipe.subpackages.forEach((s, i) => {
    for (const item of rangeItems(recipe, s)) {
      const vars = item ? subpackageVariables(base, s.name, undefined, item) : base;
      let name: string;
      try {
        name = substitute(s.name, (k) => vars.get(k), '');
      } catch {
        continue; // already reported as an unknown variable
      }
      const path = ['subpackages', i, 'name'];
      const range = item ? ` (range key ${JSON.stringify(item.key)})` : '';
      if (!NAME.test(name)) problems.push({ path, message: `${JSON.stringify(name)}${range} is not a valid package name (letters, digits and + _ . -, starting with a letter or digit)` });
      const before = seen.get(name);
      if (before !== undefined) problems.push({ path, message: `${JSON.stringify(name)}${range} is already the name of ${before}` });
      seen.set(name, `subpackages[${i}]`);
      checkPriorities(s.dependencies, ['subpackages', i, 'dependencies'], vars, range, problems);
    }
  });
  checkPriorities(recipe.package.dependencies, ['package', 'dependencies'], base, '', problems);
}

/** provider-priority and replaces-priority are integers once substituted (melange's validateDependenciesPriorities). */
function checkPriorities(deps: Dependencies, at: readonly PropertyKey[], vars: Variables, range: string, problems: Problem[]): void {
  for (const [key, value] of [['provider-priority', deps.providerPriority], ['replaces-priority', deps.replacesPriority]] as const) {
    if (value === undefined) continue;
    let v: string;
    try {
      v = substitute(value, (k) => vars.get(k), '');
    } catch {
      continue; // already reported as an unknown variable
    }
    if (!/^[+-]?[0-9]+$/.test(v.trim())) problems.push({ path: [...at, key], message: `expected a whole number, found ${JSON.stringify(v)}${range}` });
  }
}

function locatedError(source: YamlSource, problems: readonly Problem[]): KilnError {
  const lines = problems.map((p) => ({ ...source.locate(p.path), text: `${formatPath(p.path)}: ${p.message}` }));
  lines.sort((a, b) => a.line - b.line || a.col - b.col);
  const shown = lines.slice(0, MAX_LISTED).map((l) => `${source.file}:${l.line}:${l.col}: ${l.text}`);
  if (lines.length > MAX_LISTED) shown.push(`(and ${lines.length - MAX_LISTED} more problems)`);
  return new KilnError('RECIPE_INVALID', shown.join('\n'));
}
