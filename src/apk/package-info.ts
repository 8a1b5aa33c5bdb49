import { KilnError } from '../errors/index.ts';
import { formatApkConstraint, isValidApkName, parseApkConstraint, parseApkProvide, type ApkConstraint } from './constraint.ts';
import { parseApkVersion, type ApkVersion } from './version.ts';

/** What a package says about itself: `.PKGINFO` in the package, a record in APKINDEX. */
export type ApkPackageInfo = {
  readonly name: string;
  readonly version: ApkVersion;
  readonly arch: string;
  readonly description: string;
  readonly url: string;
  readonly license: string;
  readonly origin?: string;
  readonly maintainer?: string;
  readonly packager?: string;
  readonly commit?: string;
  /** Seconds since the epoch (SOURCE_DATE_EPOCH for reproducible builds). */
  readonly buildDate: number;
  /** Installed size in bytes; apk-tools skips extracting a package whose size is 0. */
  readonly installedSize: number;
  readonly depends: readonly ApkConstraint[];
  readonly provides: readonly ApkConstraint[];
  /** Which provider of a virtual name wins when nothing else decides (higher wins). */
  readonly providerPriority?: number;
  /** Packages whose files this one may overwrite. */
  readonly replaces: readonly ApkConstraint[];
  readonly installIf: readonly ApkConstraint[];
  /** Directories (globs) whose changes run this package's `.trigger` script. */
  readonly triggers: readonly string[];
};

/** The `.PKGINFO` fields together with the data hash that binds the data stream. */
export type PkgInfo = ApkPackageInfo & { readonly dataHash: string };

const ARCH_PATTERN = /^[A-Za-z0-9_-]+$/;

/** Checks what zod cannot say: names, versions, single-line texts. Throws PACKAGE_INVALID. */
export function assertPackageInfo(info: ApkPackageInfo, where = 'package'): void {
  const bad = (field: string, why: string): KilnError => new KilnError('PACKAGE_INVALID', `${where}: ${field}: ${why}`);
  if (!isValidApkName(info.name)) throw bad('name', `${JSON.stringify(info.name)} is not a valid package name`);
  parseApkVersion(info.version, `${where}: version`);
  if (!ARCH_PATTERN.test(info.arch)) throw bad('arch', `expected letters, digits, "_" or "-" such as x86_64, found ${JSON.stringify(info.arch)}`);
  for (const [field, value] of Object.entries({
    description: info.description,
    url: info.url,
    license: info.license,
    origin: info.origin,
    maintainer: info.maintainer,
    packager: info.packager,
    commit: info.commit,
  })) {
    if (value !== undefined && /[\n\r\0]/.test(value)) throw bad(field, 'must be a single line');
  }
  for (const [field, value] of Object.entries({ buildDate: info.buildDate, installedSize: info.installedSize, providerPriority: info.providerPriority })) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw bad(field, `expected a whole number ≥ 0, found ${value}`);
  }
  for (const t of info.triggers) if (t === '' || /\s/.test(t)) throw bad('triggers', `${JSON.stringify(t)}: expected a path without spaces`);
}

/**
 * `.PKGINFO` text in a fixed field order (the order abuild writes), one `depend`,
 * `provides`, `replaces` and `install_if` line per entry.
 */
export function encodePkgInfo(info: PkgInfo): string {
  const lines: string[] = [];
  const put = (key: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') lines.push(`${key} = ${value}`);
  };
  put('pkgname', info.name);
  put('pkgver', info.version);
  put('pkgdesc', info.description);
  put('url', info.url);
  put('builddate', info.buildDate);
  put('packager', info.packager);
  put('size', info.installedSize);
  put('arch', info.arch);
  put('origin', info.origin);
  put('commit', info.commit);
  put('maintainer', info.maintainer);
  put('provider_priority', info.providerPriority);
  put('license', info.license);
  for (const c of info.replaces) put('replaces', formatApkConstraint(c));
  for (const c of info.provides) put('provides', formatApkConstraint(c));
  for (const c of info.depends) put('depend', formatApkConstraint(c));
  for (const c of info.installIf) put('install_if', formatApkConstraint(c));
  if (info.triggers.length) put('triggers', info.triggers.join(' '));
  put('datahash', info.dataHash);
  return `${lines.join('\n')}\n`;
}

/** Parses `.PKGINFO`; names the line at fault. Unknown keys are kept out, as apk-tools does. */
export function decodePkgInfo(text: string, where = '.PKGINFO'): PkgInfo {
  const single = new Map<string, string>();
  const multi = { depend: [] as string[], provides: [] as string[], replaces: [] as string[], install_if: [] as string[] };
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf(' = ');
    if (eq < 0) throw new KilnError('PACKAGE_INVALID', `${where}:${i + 1}: expected "key = value", found ${JSON.stringify(line.slice(0, 80))}`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 3);
    if (key in multi) multi[key as keyof typeof multi].push(value);
    else single.set(key, value);
  });
  const lineOf = (key: string): string => {
    const i = lines.findIndex((l) => l.startsWith(`${key} = `));
    return i >= 0 ? `${where}:${i + 1}` : where;
  };
  const required = (key: string): string => {
    const v = single.get(key);
    if (v === undefined || v === '') throw new KilnError('PACKAGE_INVALID', `${where}: missing "${key} = …"`);
    return v;
  };
  const num = (key: string): number | undefined => {
    const v = single.get(key);
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,15}$/.test(v)) throw new KilnError('PACKAGE_INVALID', `${lineOf(key)}: ${key}: expected a whole number, found ${JSON.stringify(v)}`);
    return Number(v);
  };
  const constraints = (key: keyof typeof multi, parse: (s: string) => ApkConstraint): ApkConstraint[] =>
    multi[key].flatMap((v) => v.split(' ').filter((p) => p !== '')).map((v) => {
      try {
        return parse(v);
      } catch (e) {
        throw new KilnError('PACKAGE_INVALID', `${lineOf(key)}: ${key}: ${(e as Error).message}`, { cause: e });
      }
    });
  const priority = num('provider_priority');
  let version: ApkVersion;
  try {
    version = parseApkVersion(required('pkgver'));
  } catch (e) {
    throw new KilnError('PACKAGE_INVALID', `${lineOf('pkgver')}: pkgver: ${(e as Error).message}`, { cause: e });
  }
  // optional texts are left out rather than kept as '', so a round trip is exact
  type Optional = 'origin' | 'maintainer' | 'packager' | 'commit';
  const optional = (key: Optional): Partial<Record<Optional, string>> => {
    const v = single.get(key);
    return v === undefined || v === '' ? {} : { [key]: v };
  };
  return {
    name: required('pkgname'),
    version,
    arch: required('arch'),
    description: single.get('pkgdesc') ?? '',
    url: single.get('url') ?? '',
    license: single.get('license') ?? '',
    ...optional('origin'),
    ...optional('maintainer'),
    ...optional('packager'),
    ...optional('commit'),
    buildDate: num('builddate') ?? 0,
    installedSize: num('size') ?? 0,
    depends: constraints('depend', parseApkConstraint),
    provides: constraints('provides', parseApkProvide),
    ...(priority !== undefined ? { providerPriority: priority } : {}),
    replaces: constraints('replaces', parseApkConstraint),
    installIf: constraints('install_if', parseApkConstraint),
    triggers: (single.get('triggers') ?? '').split(' ').filter((t) => t !== ''),
    dataHash: single.get('datahash') ?? '',
  };
}
