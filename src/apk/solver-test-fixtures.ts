import { createHash } from 'node:crypto';
import type { ApkIndexEntry } from './apkindex.ts';
import { parseApkConstraint, parseApkProvide } from './constraint.ts';
import type { SolverRepository } from './solver-universe.ts';
import { parseApkVersion } from './version.ts';

/** In-memory repositories for the solver tests. */
export type PkgSpec = {
  readonly depends?: readonly string[];
  readonly provides?: readonly string[];
  readonly priority?: number;
  readonly installIf?: readonly string[];
  /** Changes the checksum: another build of the same name and version. */
  readonly build?: string;
};

/** A fake but well-formed `Q1…` checksum, fixed by name, version and build. */
export function fakeChecksum(name: string, version: string, build = ''): string {
  return `Q1${createHash('sha1').update(`${name}-${version}${build}`).digest('base64')}`;
}

export function pkg(name: string, version: string, spec: PkgSpec = {}): ApkIndexEntry {
  return {
    name,
    version: parseApkVersion(version),
    arch: 'x86_64',
    description: '',
    url: '',
    license: 'MIT',
    buildDate: 0,
    installedSize: 1024,
    depends: (spec.depends ?? []).map(parseApkConstraint),
    provides: (spec.provides ?? []).map(parseApkProvide),
    ...(spec.priority !== undefined ? { providerPriority: spec.priority } : {}),
    replaces: [],
    installIf: (spec.installIf ?? []).map(parseApkConstraint),
    triggers: [],
    checksum: fakeChecksum(name, version, spec.build),
    size: 2048,
  };
}

export function repo(url: string, entries: readonly ApkIndexEntry[], tag?: string): SolverRepository {
  return { url, arch: 'x86_64', index: { description: '', entries }, ...(tag !== undefined ? { tag } : {}) };
}
