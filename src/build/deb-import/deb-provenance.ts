import { formatApkConstraint } from '../../apk/index.ts';
import type { ArchiveRecord } from './apt-archive.ts';
import type { ApkInputPlan, ConvertedDeb, DroppedDependency } from './convert-deb.ts';

/** The record kept beside each imported package: `<arch>/<name>-<version>.provenance.json`. */
export type DebProvenance = {
  readonly _type: 'https://kiln.dev/deb-import/v1';
  readonly apk: {
    readonly name: string;
    readonly version: string;
    readonly arch: string;
    readonly file: string;
    /** APKINDEX `C:` identity. */
    readonly checksum: string;
    readonly sha256: string;
  };
  readonly debian: {
    readonly package: string;
    readonly version: string;
    readonly architecture: string;
    /** Origin: the source package the binary was built from. */
    readonly source: string;
    readonly sourceVersion: string;
    readonly maintainer: string;
    readonly homepage?: string;
    readonly sha256: string;
    readonly size: number;
    readonly filename?: string;
    readonly url?: string;
  };
  readonly conversion: {
    readonly sourceDateEpoch: number;
    readonly license: string;
    readonly depends: readonly string[];
    readonly provides: readonly string[];
    readonly droppedDependencies: readonly string[];
    /** Debian maintainer scripts that were NOT run and are not in the APK. */
    readonly maintainerScriptsNotRun: readonly string[];
    readonly conffiles: readonly string[];
    readonly otherControlFiles: readonly string[];
  };
};

export function debProvenance(input: {
  readonly converted: ConvertedDeb;
  readonly plan: ApkInputPlan;
  readonly record?: ArchiveRecord | undefined;
  readonly file: string;
  readonly checksum: string;
  readonly sha256: string;
}): DebProvenance {
  const { converted: c, plan, record } = input;
  return {
    _type: 'https://kiln.dev/deb-import/v1',
    apk: { name: c.name, version: c.version, arch: c.arch, file: input.file, checksum: input.checksum, sha256: input.sha256 },
    debian: {
      package: c.control.package,
      version: c.control.version,
      architecture: c.control.architecture,
      source: c.control.source,
      sourceVersion: c.control.sourceVersion ?? c.control.version,
      maintainer: c.control.maintainer,
      ...(c.control.homepage !== undefined ? { homepage: c.control.homepage } : {}),
      sha256: c.debSha256,
      size: c.debSize,
      ...(record !== undefined ? { filename: record.filename, url: record.url } : {}),
    },
    conversion: {
      sourceDateEpoch: c.sourceDateEpoch,
      license: c.license,
      depends: plan.info.depends.map(formatApkConstraint),
      provides: plan.info.provides.map(formatApkConstraint),
      droppedDependencies: plan.dropped.map(describeDropped),
      maintainerScriptsNotRun: c.maintainerScripts,
      conffiles: c.conffiles,
      otherControlFiles: c.controlFiles,
    },
  };
}

export function describeDropped(d: DroppedDependency): string {
  return d.kind === 'debian' ? d.relation : `so:${d.soname}`;
}

/** Fixed key order (construction order) and a final newline: the same import writes the same bytes. */
export function encodeDebProvenance(p: DebProvenance): string {
  return `${JSON.stringify(p, null, 2)}\n`;
}
