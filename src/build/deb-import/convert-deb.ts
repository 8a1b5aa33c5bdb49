import { createHash } from 'node:crypto';
import type { ApkConstraint, ApkFile, ApkVersion, ApkVersionOp, WriteApkInput } from '../../apk/index.ts';
import { isApkVersion, isValidApkName, parseApkVersion } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import { debDataFiles } from './deb-data-files.ts';
import type { DebAlternatives, DebControl, DebRelation, DebRelationOp } from './deb-control.ts';
import { debLicenseOf } from './deb-license.ts';
import { apkArchOf } from './debian-arch.ts';
import { debianToApkVersion } from './debian-version.ts';
import { MAINTAINER_SCRIPTS, readDeb } from './read-deb.ts';
import { soNamesOf, type SoNames } from './so-names.ts';

/** A .deb read and mapped, before its dependencies are resolved against a repository. */
export type ConvertedDeb = {
  readonly control: DebControl;
  readonly name: string;
  readonly version: ApkVersion;
  readonly arch: string;
  readonly license: string;
  readonly files: readonly ApkFile[];
  /** The newest mtime of the data tar: every APK timestamp and the build date. */
  readonly sourceDateEpoch: number;
  readonly soNames: SoNames;
  /** Maintainer scripts the .deb carries (not run, not packaged), sorted. */
  readonly maintainerScripts: readonly string[];
  /** Files dpkg treats as configuration (`conffiles`), without the leading "/". */
  readonly conffiles: readonly string[];
  /** Other control-area files (triggers, shlibs, …), sorted, for the record. */
  readonly controlFiles: readonly string[];
  readonly debSha256: string;
  readonly debSize: number;
};

/**
 * Reads and maps a .deb. The APK name is the Debian package name unchanged (`libc6`):
 * Debian names are valid APK names, Depends can then be mapped one to one, and a
 * kiln-built package of the same name is a deliberate replacement, not a clash. The
 * result depends only on the bytes, so the same .deb always converts the same way.
 */
export async function convertDeb(bytes: Buffer, where: string): Promise<ConvertedDeb> {
  const deb = await readDeb(bytes, where);
  const { control } = deb;
  if (!isValidApkName(control.package)) throw new KilnError('DEB_INVALID', `${where}: package name ${JSON.stringify(control.package)} is not a valid APK name`);
  const { files, newestMtime } = debDataFiles(deb.data, where);
  const names = [...deb.controlFiles.keys()].sort();
  return {
    control,
    name: control.package,
    version: debianToApkVersion(control.version),
    arch: apkArchOf(control.architecture),
    license: debLicenseOf(control.package, files),
    files,
    sourceDateEpoch: newestMtime,
    soNames: soNamesOf(files),
    maintainerScripts: names.filter((n) => MAINTAINER_SCRIPTS.includes(n)),
    conffiles: (deb.controlFiles.get('conffiles')?.toString('utf8') ?? '')
      .split('\n')
      .map((l) => l.trim().replace(/^remove-on-upgrade\s+/, '').replace(/^\/+/, ''))
      .filter((l) => l !== '')
      .sort(),
    controlFiles: names.filter((n) => n !== 'control' && !MAINTAINER_SCRIPTS.includes(n)),
    debSha256: createHash('sha256').update(bytes).digest('hex'),
    debSize: bytes.byteLength,
  };
}

/** What the target repository (with the packages being imported alongside) offers. */
export type AvailableNames = {
  /** Package names and provided names present. */
  readonly names: ReadonlySet<string>;
  /** `so:` names provided (without the `so:` prefix). */
  readonly sonames: ReadonlySet<string>;
};

/** A Debian dependency (or `so:` need) left out because nothing in the repository satisfies it. */
export type DroppedDependency = { readonly kind: 'debian'; readonly relation: string } | { readonly kind: 'so'; readonly soname: string };

export type ApkInputPlan = {
  readonly info: WriteApkInput['info'];
  readonly dropped: readonly DroppedDependency[];
};

const OP: Readonly<Record<DebRelationOp, ApkVersionOp>> = { '<<': '<', '<=': '<=', '=': '=', '>=': '>=', '>>': '>' };

/**
 * The APK metadata for a converted .deb. Depends and Pre-Depends become APK depends on
 * the first alternative the repository has (versions mapped like the package's own);
 * `so:` needs become depends when some package provides them. The rest is dropped and
 * reported, so that an image can still be assembled from a partial import: Debian's
 * dependencies are broader than what a container needs (libc6 → libgcc-s1 for
 * pthread_cancel's unwinder, which most programs never call).
 */
export function planApkInfo(c: ConvertedDeb, available: AvailableNames): ApkInputPlan {
  const depends = new Map<string, ApkConstraint>();
  const dropped: DroppedDependency[] = [];
  for (const group of [...c.control.preDepends, ...c.control.depends]) {
    if (group.some((r) => r.name === c.name)) continue;
    const pick = group.find((r) => available.names.has(r.name));
    if (pick === undefined) dropped.push({ kind: 'debian', relation: formatAlternatives(group) });
    else if (!depends.has(pick.name)) depends.set(pick.name, constraintOf(pick));
  }
  for (const soname of c.soNames.needs) {
    if (available.sonames.has(soname)) depends.set(`so:${soname}`, { name: `so:${soname}`, conflict: false, match: { kind: 'any' } });
    else dropped.push({ kind: 'so', soname });
  }
  const provides: ApkConstraint[] = [
    // Debian allows only "=" in Provides; apk reads an unversioned provide as a virtual name
    ...c.control.provides.filter((p) => p.name !== c.name).map((p) => constraintOf(p.op === '=' ? p : { name: p.name })),
    ...c.soNames.provides.map((p): ApkConstraint => ({ name: `so:${p.soname}`, conflict: false, match: { kind: 'version', op: '=', version: parseApkVersion(p.version) } })),
  ];
  const { control } = c;
  return {
    info: {
      name: c.name,
      version: c.version,
      arch: c.arch,
      description: `${control.summary} (Debian ${control.package} ${control.version})`.replace(/^ /, ''),
      url: control.homepage ?? '',
      license: c.license,
      origin: control.source,
      ...(control.maintainer !== '' ? { maintainer: control.maintainer } : {}),
      commit: c.debSha256,
      buildDate: c.sourceDateEpoch,
      depends: [...depends.values()],
      provides,
      replaces: [],
      installIf: [],
      triggers: [],
    },
    dropped,
  };
}

function formatAlternatives(group: DebAlternatives): string {
  return group.map((r) => (r.op !== undefined ? `${r.name} (${r.op} ${r.version})` : r.name)).join(' | ');
}

/** A Debian relation as an APK constraint; a version that does not map keeps only the name. */
function constraintOf(r: Pick<DebRelation, 'name' | 'op' | 'version'>): ApkConstraint {
  if (r.op === undefined || r.version === undefined || !isApkVersion(debianToApkVersionOrEmpty(r.version))) return { name: r.name, conflict: false, match: { kind: 'any' } };
  return { name: r.name, conflict: false, match: { kind: 'version', op: OP[r.op], version: debianToApkVersion(r.version) } };
}

function debianToApkVersionOrEmpty(version: string): string {
  try {
    return debianToApkVersion(version);
  } catch {
    return '';
  }
}
