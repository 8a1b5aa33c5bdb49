import type {
  Changelog,
  CurrentTag,
  DigestDiff,
  DigestPackages,
  DigestSearch,
  ImageSummary,
  PackageChange,
  PackageRecord,
  Publication,
  TagAt,
  Trigger,
  TagUpdate,
} from '../../store/index.ts';

/**
 * The JSON bodies of `/api/v1/` and of the history commands' `--json`: written out
 * field by field so that a new column in the store does not silently change the API.
 * Times are ISO 8601 UTC strings.
 */
export type PublicationJson = {
  readonly image: string;
  readonly line: string;
  readonly version: string;
  readonly variant: string;
  readonly digest: string;
  readonly timestampTag: string;
  readonly publishedAt: string;
  readonly trigger: Trigger;
  readonly reason: string;
  readonly primaryVersion: string | null;
  readonly previousDigest: string | null;
  readonly inputFingerprint: string;
  readonly tags: readonly TagUpdate[];
};

export type CurrentTagJson = Omit<CurrentTag, 'updatedAt'> & { readonly updatedAt: string };

export function publicationJson(p: Publication): PublicationJson {
  return {
    image: p.image,
    line: p.line,
    version: p.version,
    variant: p.variant,
    digest: p.digest,
    timestampTag: p.timestampTag,
    publishedAt: p.publishedAt.toISOString(),
    trigger: p.trigger,
    reason: p.reason,
    primaryVersion: p.primaryVersion,
    previousDigest: p.previousDigest,
    inputFingerprint: p.inputFingerprint,
    tags: p.tags.map((t) => ({ repository: t.repository, tag: t.tag })),
  };
}

export function currentTagJson(t: CurrentTag) {
  return {
    repository: t.repository,
    tag: t.tag,
    digest: t.digest,
    updatedAt: t.updatedAt.toISOString(),
    line: t.line,
    version: t.version,
    variant: t.variant,
  } satisfies CurrentTagJson;
}

const changeJson = (c: PackageChange) => ({ kind: c.kind, name: c.name, from: c.from, to: c.to });
const packageJson = (p: PackageRecord) => ({ name: p.name, version: p.version, arch: p.arch, checksum: p.checksum, origin: p.origin });

export function imagesJson(images: readonly { readonly image: ImageSummary; readonly tags: readonly CurrentTag[] }[]) {
  return { images: images.map(({ image, tags }) => ({ name: image.name, primaryPackage: image.primaryPackage, tags: tags.map(currentTagJson) })) };
}

export function tagsJson(image: string, tags: readonly CurrentTag[]) {
  return { image, tags: tags.map(currentTagJson) };
}

/** One entry per version, its variants inside; `maintained` is true while any variant is. */
export function versionsJson(image: ImageSummary) {
  const versions = new Map<string, { line: string; version: string; maintained: boolean; variants: unknown[] }>();
  for (const v of image.versions) {
    const key = `${v.line}\u0000${v.version}`;
    const entry = versions.get(key) ?? { line: v.line, version: v.version, maintained: false, variants: [] };
    entry.maintained ||= v.maintained;
    entry.variants.push({
      variant: v.variant,
      maintained: v.maintained,
      latest: v.latest && { digest: v.latest.digest, timestampTag: v.latest.timestampTag, publishedAt: v.latest.publishedAt.toISOString() },
    });
    versions.set(key, entry);
  }
  return { image: image.name, versions: [...versions.values()] };
}

export function changelogJson(c: Changelog) {
  return {
    image: c.image,
    version: c.version,
    entries: c.entries.map((e) => ({ ...publicationJson(e), changes: e.changes.map(changeJson) })),
  };
}

export function digestJson(d: DigestPackages) {
  return { digest: d.digest, publication: publicationJson(d.publication), packages: d.packages.map(packageJson) };
}

export function diffJson(d: DigestDiff) {
  return { from: d.from, to: d.to, changes: d.changes.map(changeJson) };
}

export function searchJson(s: DigestSearch) {
  return {
    prefix: s.prefix,
    matches: s.matches.map((m) => ({
      digest: m.digest,
      image: m.image,
      line: m.line,
      version: m.version,
      variant: m.variant,
      timestampTag: m.timestampTag,
      publishedAt: m.publishedAt.toISOString(),
    })),
    truncated: s.truncated,
  };
}

export function tagAtJson(t: TagAt) {
  return { repository: t.repository, tag: t.tag, at: t.at.toISOString(), digest: t.digest, since: t.since?.toISOString() ?? null };
}
