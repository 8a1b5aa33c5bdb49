import { KilnError } from '../errors/index.ts';
import { compileGoRegexp, goReplaceAll } from './go-regexp.ts';
import type { Recipe, Subpackage } from './recipe-types.ts';
import { substitute } from './substitute.ts';

/**
 * The `${{…}}` variables a recipe's fields may use, as melange's NewSubstitutionMap
 * and SubstitutionMap.Subpackage define them. Names are kept without the braces
 * (`package.version`).
 */
export type Variables = ReadonlyMap<string, string>;

/** An architecture as APK names it, with the spellings melange derives from it. */
type ArchInfo = { readonly apk: string; readonly go: string; readonly gnu: (flavor: string) => string; readonly rust: (flavor: string) => string };

// apko's Architecture.ToTriplet / ToRustTriplet for the architectures kiln builds.
const ARCHS: readonly ArchInfo[] = [
  { apk: 'x86_64', go: 'amd64', gnu: (f) => `x86_64-pc-linux-${f}`, rust: (f) => `x86_64-unknown-linux-${f}` },
  { apk: 'aarch64', go: 'arm64', gnu: (f) => `aarch64-unknown-linux-${f}`, rust: (f) => `aarch64-unknown-linux-${f}` },
  { apk: 'x86', go: '386', gnu: (f) => `i686-pc-linux-${f}`, rust: (f) => `i686-unknown-linux-${f}` },
  { apk: 'armv7', go: 'arm/v7', gnu: (f) => `armv7-unknown-linux-${f}eabihf`, rust: (f) => `armv7-unknown-linux-${f}eabihf` },
  { apk: 'ppc64le', go: 'ppc64le', gnu: (f) => `powerpc64le-unknown-linux-${f}`, rust: (f) => `powerpc64le-unknown-linux-${f}` },
  { apk: 's390x', go: 's390x', gnu: (f) => `s390x-ibm-linux-${f}`, rust: (f) => `s390x-unknown-linux-${f}` },
  { apk: 'riscv64', go: 'riscv64', gnu: (f) => `riscv64-unknown-linux-${f}`, rust: (f) => `riscv64gc-unknown-linux-${f}` },
];

/** `x86_64`/`amd64`, `aarch64`/`arm64`, … → the APK spelling; undefined when unknown. */
export function recipeArch(name: string): string | undefined {
  return ARCHS.find((a) => a.apk === name || a.go === name)?.apk;
}

export type VariableOptions = {
  /** The architecture being built, in either spelling (`x86_64` or `amd64`). */
  readonly arch: string;
  /** The C library flavour for host triplets: `gnu` (default) or `musl`. */
  readonly flavor?: 'gnu' | 'musl';
  /** Names of recipe `options:` the build turns on (`${{options.NAME.enabled}}` becomes "true"). */
  readonly enabledOptions?: readonly string[];
  /** The build workspace inside the sandbox; melange's is /home/build. */
  readonly workspace?: string;
};

/**
 * The variables of a recipe's main package for one architecture: package.*, targets.*,
 * host/cross triplets, build.arch/goarch, vars.* (each may use earlier ones, in file
 * order), var-transforms results (in order), targets.package.NAME and
 * options.NAME.enabled. Throws RECIPE_INVALID for an unknown architecture, an unknown
 * variable inside vars, or a var-transforms regexp that does not compile.
 */
export function recipeVariables(recipe: Recipe, options: VariableOptions): Variables {
  const arch = ARCHS.find((a) => a.apk === options.arch || a.go === options.arch);
  if (!arch) {
    throw new KilnError('RECIPE_INVALID', `${recipe.file}: unknown architecture ${JSON.stringify(options.arch)}; expected one of ${ARCHS.map((a) => a.apk).join(', ')}`);
  }
  const flavor = options.flavor ?? 'gnu';
  const ws = options.workspace ?? '/home/build';
  const out = `${ws}/melange-out`;
  const p = recipe.package;
  const v = new Map<string, string>([
    ['package.name', p.name],
    ['package.version', p.version],
    ['package.epoch', String(p.epoch)],
    ['package.full-version', `${p.version}-r${p.epoch}`],
    ['package.description', p.description ?? ''],
    ['package.srcdir', ws],
    ['targets.outdir', out],
    ['targets.destdir', `${out}/${p.name}`],
    ['targets.contextdir', `${out}/${p.name}`],
    ['context.name', p.name],
    ['host.triplet.gnu', arch.gnu(flavor)],
    ['host.triplet.rust', arch.rust(flavor)],
    ['cross.triplet.gnu.glibc', arch.gnu('gnu')],
    ['cross.triplet.gnu.musl', arch.gnu('musl')],
    ['cross.triplet.rust.glibc', arch.rust('gnu')],
    ['cross.triplet.rust.musl', arch.rust('musl')],
    ['build.arch', arch.apk],
    ['build.goarch', arch.go],
  ]);
  addVars(recipe, v);
  v.set(`targets.package.${p.name}`, `${out}/${p.name}`);
  for (const sub of recipe.subpackages) {
    for (const item of rangeItems(recipe, sub)) {
      const scoped = item ? new Map([...v, ['range.key', item.key], ['range.value', item.value]]) : v;
      const name = substitute(sub.name, (k) => scoped.get(k), `${recipe.file}: subpackage ${JSON.stringify(sub.name)}: name`);
      v.set(`targets.package.${name}`, `${out}/${name}`);
    }
  }
  const enabled = new Set(options.enabledOptions ?? []);
  for (const name of Object.keys(recipe.options).sort()) v.set(`options.${name}.enabled`, enabled.has(name) ? 'true' : 'false');
  return v;
}

/** vars (in file order, each substituted with what came before) then var-transforms (in order). */
function addVars(recipe: Recipe, v: Map<string, string>): void {
  for (const [name, value] of Object.entries(recipe.vars)) {
    v.set(`vars.${name}`, substitute(value, (k) => v.get(k), `${recipe.file}: vars.${name}`));
  }
  recipe.varTransforms.forEach((t, i) => {
    const from = substitute(t.from, (k) => v.get(k), `${recipe.file}: var-transforms[${i}].from`);
    const re = compileGoRegexp(t.match);
    if (!(re instanceof RegExp)) throw new KilnError('RECIPE_INVALID', `${recipe.file}: var-transforms[${i}].match: ${JSON.stringify(t.match)} is not a valid regular expression: ${re.error}`);
    v.set(`vars.${t.to}`, goReplaceAll(from, re, t.replace));
  });
}

/**
 * The variables inside one subpackage: subpkg.name, context.name, targets.subpkgdir
 * and targets.contextdir point at the subpackage, and for a ranged subpackage
 * range.key / range.value hold the current item. `name` is the subpackage's final
 * name (after range substitution).
 */
export function subpackageVariables(base: Variables, name: string, workspace = '/home/build', range?: { readonly key: string; readonly value: string }): Variables {
  const v = new Map(base);
  const dir = `${workspace}/melange-out/${name}`;
  v.set('subpkg.name', name);
  v.set('context.name', name);
  v.set('targets.subpkgdir', dir);
  v.set('targets.contextdir', dir);
  if (range) {
    v.set('range.key', range.key);
    v.set('range.value', range.value);
  }
  return v;
}

/**
 * The items a ranged subpackage iterates over, in sorted key order (as melange sorts
 * them); a subpackage without `range:` yields one item, undefined. Throws
 * RECIPE_INVALID when the range names no `data:` table.
 */
export function rangeItems(recipe: Recipe, sub: Subpackage): readonly ({ readonly key: string; readonly value: string } | undefined)[] {
  if (sub.range === undefined) return [undefined];
  const table = recipe.data.find((d) => d.name === sub.range);
  if (!table) throw new KilnError('RECIPE_INVALID', `${recipe.file}: subpackage ${JSON.stringify(sub.name)}: range ${JSON.stringify(sub.range)} names no data: table`);
  return Object.keys(table.items)
    .sort(compareCodeUnits)
    .map((key) => ({ key, value: table.items[key] ?? '' }));
}

/** Go's sort.Strings order (byte order for ASCII), independent of locale. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
