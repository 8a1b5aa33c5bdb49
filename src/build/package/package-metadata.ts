import {
  parseApkConstraint,
  parseApkProvide,
  parseApkVersion,
  type ApkPackageInfo,
  type ApkScripts,
} from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { CompiledPackage } from '../../recipes/index.ts';

/** The SPDX expression for a recipe's `copyright:` entries (melange joins them with AND). */
export function licenseExpression(pkg: CompiledPackage): string | undefined {
  const licenses = [...new Set(pkg.copyright.map((c) => c.license.trim()).filter((l) => l !== ''))];
  if (licenses.length === 0) return undefined;
  return licenses.length === 1 ? licenses[0] : licenses.map((l) => (/\s/.test(l) ? `(${l})` : l)).join(' AND ');
}

/** `.PKGINFO` for one package of the build; dependencies already merged with what scanning found. */
export function packageInfoFor(
  pkg: CompiledPackage,
  input: { readonly arch: string; readonly origin: string; readonly commit: string | undefined; readonly buildDate: number; readonly depends: readonly string[]; readonly provides: readonly string[]; readonly where: string },
): Omit<ApkPackageInfo, 'installedSize'> {
  const parse = <T>(what: string, value: string, fn: (s: string) => T): T => {
    try {
      return fn(value);
    } catch (e) {
      throw new KilnError('RECIPE_INVALID', `${input.where}: package ${pkg.name}: ${what} ${JSON.stringify(value)}: ${(e as Error).message}`, { cause: e });
    }
  };
  const priority = pkg.dependencies.providerPriority;
  if (priority !== undefined && !/^[0-9]{1,9}$/.test(priority)) {
    throw new KilnError('RECIPE_INVALID', `${input.where}: package ${pkg.name}: provider-priority ${JSON.stringify(priority)}: expected a whole number`);
  }
  const oneLine = (s: string | undefined): string => (s ?? '').replace(/\s*\n\s*/g, ' ').trim();
  return {
    name: pkg.name,
    version: parse('version', pkg.fullVersion, (v) => parseApkVersion(v)),
    arch: input.arch,
    description: oneLine(pkg.description),
    url: oneLine(pkg.url),
    license: licenseExpression(pkg) ?? '',
    origin: input.origin,
    ...(input.commit !== undefined && { commit: input.commit }),
    buildDate: input.buildDate,
    depends: input.depends.map((d) => parse('dependency', d, parseApkConstraint)),
    provides: input.provides.map((d) => parse('provides', d, parseApkProvide)),
    ...(priority !== undefined && { providerPriority: Number(priority) }),
    replaces: pkg.dependencies.replaces.map((d) => parse('replaces', d, parseApkConstraint)),
    installIf: [],
    triggers: [...(pkg.scriptlets?.trigger?.paths ?? [])],
  };
}

/** The recipe's scriptlets as APK control scripts. */
export function scriptsFor(pkg: CompiledPackage): ApkScripts {
  const s = pkg.scriptlets;
  if (!s) return {};
  const out: Record<string, string> = {};
  const put = (name: string, v: string | undefined): void => {
    if (v !== undefined && v !== '') out[name] = v;
  };
  put('pre-install', s.preInstall);
  put('post-install', s.postInstall);
  put('pre-deinstall', s.preDeinstall);
  put('post-deinstall', s.postDeinstall);
  put('pre-upgrade', s.preUpgrade);
  put('post-upgrade', s.postUpgrade);
  put('trigger', s.trigger?.script);
  return out as ApkScripts;
}
