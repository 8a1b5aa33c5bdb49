import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { apkFileName, indexPathFor, repositoryLabel, type ApkIndexEntry } from '../../apk/index.ts';
import { packageFactsOf, type PackageFacts, type PackageSource } from '../../attest/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import type { Arch } from '../arch.ts';
import type { FsEntry } from '../fs-entry.ts';
import type { BuiltRootfs } from '../rootfs/build-rootfs.ts';
import { mergeSpdxDocuments } from './merge-spdx-documents.ts';

/** A repository index the build read, by the digest of its APKINDEX.tar.gz. */
export type RepositoryIndex = { readonly url: string; readonly arch: string; readonly digest: Digest };

/** What the SBOMs and the provenance say about one architecture's packages. */
export type ArchPackageEvidence = {
  readonly arch: Arch;
  /** In name order. */
  readonly packages: readonly PackageFacts[];
  /** The repository (as given to the build) each package came from, by name. */
  readonly packageRepositories: Readonly<Record<string, string>>;
  readonly indexes: readonly RepositoryIndex[];
};

/** Where melange and kiln's package builds leave a package's own SPDX document. */
const PACKAGE_SBOM = /^var\/lib\/db\/sbom\/[^/]+\.spdx\.json$/;

/** The fields of kiln's package build provenance (`NAME-VERSION.provenance.json` beside the .apk) used here. */
const BuildProvenanceSchema = z.looseObject({
  package: z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/).optional() }).optional(),
  sources: z
    .array(
      z.union([
        z.looseObject({ kind: z.literal('fetch'), uri: z.string().min(1), sha256: z.string().regex(/^sha256:[0-9a-f]{64}$/) }),
        z.looseObject({ kind: z.literal('git-checkout'), repository: z.string().min(1), commit: z.string().regex(/^[0-9a-f]{7,64}$/) }),
        z.looseObject({ kind: z.string() }),
      ]),
    )
    .optional(),
  /** A package converted from a Debian binary package (`kiln package import-deb`): the .deb it came from. */
  debian: z.looseObject({ url: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
});

/**
 * The facts about one architecture's installed packages, from what the build already
 * holds: the solver's index entries (name, version, license, origin, dependencies,
 * checksum), the SHA-256 of each .apk file it read (as the reader hashed it when it has), the package's own SPDX documents
 * (`var/lib/db/sbom/*.spdx.json` among its installed files), and its upstream source from
 * the package build's provenance file beside the .apk, when the repository has one (a
 * kiln recipe build's first fetched or checked-out source; an imported Debian package's .deb).
 * Nothing here depends on the clock or on the order of the disk, so the SBOMs built from
 * it are the same bytes on every rebuild.
 */
export async function archPackageEvidence(rootfs: BuiltRootfs, options: { readonly supplier?: string } = {}): Promise<ArchPackageEvidence> {
  const byPath = new Map<string, FsEntry>(rootfs.entries.map((e) => [e.path, e]));
  const resolved = [...rootfs.resolution.packages].sort((a, b) => (a.entry.name < b.entry.name ? -1 : a.entry.name > b.entry.name ? 1 : 0));
  const sha256 = new Map<string, string>();
  const sources = new Map<string, PackageSource>(); // by origin: a recipe's subpackages share its sources
  const ownSources = new Map<string, PackageSource>(); // by name: an imported .deb is one binary package's own
  const packageRepositories: Record<string, string> = {};
  for (const p of resolved) {
    const file = join(p.repository.url, p.repository.arch, apkFileName(p.entry));
    const read = rootfs.packageSha256?.get(p.entry.name);
    sha256.set(p.entry.name, read ?? createHash('sha256').update(await readOrThrow(file, `package ${p.entry.name}-${p.entry.version}`)).digest('hex'));
    packageRepositories[p.entry.name] = repositoryLabel(p.repository);
    const source = await provenanceSource(file.replace(/\.apk$/, '.provenance.json'));
    if (source?.perPackage) ownSources.set(p.entry.name, source.source);
    else if (source !== undefined && !sources.has(p.entry.origin ?? p.entry.name)) sources.set(p.entry.origin ?? p.entry.name, source.source);
  }
  const spdx = new Map<string, unknown>();
  for (const pkg of rootfs.installed) {
    const docs: { path: string; json: unknown }[] = [];
    for (const path of pkg.paths.filter((x) => x.kind === 'file' && PACKAGE_SBOM.test(x.path)).map((x) => x.path).sort()) {
      const e = byPath.get(path);
      if (e?.kind !== 'file' || e.content.kind !== 'bytes') continue;
      docs.push({ path, json: parseJson(e.content.data, `package ${pkg.entry.name}: /${path}`) });
    }
    const merged = mergeSpdxDocuments(docs, `package ${pkg.entry.name}`);
    if (merged !== undefined) spdx.set(pkg.entry.name, merged);
    const fromSbom = sources.has(pkg.entry.origin ?? pkg.entry.name) ? undefined : sourceOfSpdx(merged);
    if (fromSbom !== undefined) sources.set(pkg.entry.origin ?? pkg.entry.name, fromSbom);
  }
  const entries: ApkIndexEntry[] = resolved.map((p) => p.entry);
  const packages = packageFactsOf(entries, { ...(options.supplier !== undefined && { supplier: options.supplier }), sources, spdx, sha256 }).map((p) => {
    const own = ownSources.get(p.name);
    return own !== undefined ? { ...p, source: own } : p;
  });
  const indexes = new Map<string, RepositoryIndex>();
  for (const p of resolved) {
    const key = `${p.repository.url}\u0000${p.repository.arch}`;
    if (indexes.has(key)) continue;
    const bytes = await readOrThrow(indexPathFor(p.repository.url, p.repository.arch), `the index of ${p.repository.url}`);
    indexes.set(key, { url: p.repository.url, arch: p.repository.arch, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest });
  }
  return { arch: rootfs.arch, packages, packageRepositories, indexes: [...indexes.values()] };
}

async function readOrThrow(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    // the build read it moments ago: it changed under us
    throw new KilnError('IO', `${what}: cannot read ${file} again for the SBOM and provenance (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
}

function parseJson(data: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (cause) {
    throw new KilnError('PACKAGE_INVALID', `${where}: not valid JSON (${(cause as Error).message})`, { cause });
  }
}

/**
 * The first fetched or checked-out source a package build recorded (shared by the recipe's
 * subpackages), or the .deb an imported package came from (its own); undefined without a
 * readable provenance file.
 */
async function provenanceSource(file: string): Promise<{ readonly source: PackageSource; readonly perPackage: boolean } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // packages from elsewhere carry no kiln provenance
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KilnError('PACKAGE_INVALID', `${file}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const r = BuildProvenanceSchema.safeParse(json);
  if (!r.success) return undefined;
  for (const s of r.data.sources ?? []) {
    if (s.kind === 'fetch' && 'uri' in s && typeof s.uri === 'string' && typeof s.sha256 === 'string') {
      return { source: { downloadLocation: s.uri, digest: s.sha256 as Digest }, perPackage: false };
    }
    if (s.kind === 'git-checkout' && 'repository' in s && typeof s.repository === 'string' && typeof s.commit === 'string') {
      return { source: { downloadLocation: `git+${s.repository}`, commit: s.commit }, perPackage: false };
    }
  }
  if (r.data.debian !== undefined) return { source: { downloadLocation: r.data.debian.url, digest: `sha256:${r.data.debian.sha256}` as Digest }, perPackage: true };
  return undefined;
}

const SpdxSourcesSchema = z.looseObject({
  packages: z
    .array(
      z.looseObject({
        downloadLocation: z.string().optional(),
        primaryPackagePurpose: z.string().optional(),
        checksums: z.array(z.looseObject({ algorithm: z.string(), checksumValue: z.string() })).optional(),
      }),
    )
    .optional(),
});

/** A package SBOM's first SOURCE package with a real download location (what kiln's and melange's builds record). */
function sourceOfSpdx(doc: unknown): PackageSource | undefined {
  const r = SpdxSourcesSchema.safeParse(doc);
  if (!r.success) return undefined;
  for (const p of r.data.packages ?? []) {
    const where = p.downloadLocation;
    if (p.primaryPackagePurpose !== 'SOURCE' || where === undefined || where === 'NOASSERTION' || where === 'NONE') continue;
    const git = /^(git\+.+)@([0-9a-f]{7,64})$/.exec(where);
    if (git !== null) return { downloadLocation: git[1] ?? where, commit: git[2] ?? '' };
    const sha = p.checksums?.find((c) => c.algorithm === 'SHA256' && /^[0-9a-f]{64}$/.test(c.checksumValue))?.checksumValue;
    return { downloadLocation: where, ...(sha !== undefined && { digest: `sha256:${sha}` as Digest }) };
  }
  return undefined;
}
