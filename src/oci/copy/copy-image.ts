import { KilnError, isKilnError } from '../../errors/index.ts';
import type { ManifestData } from '../client/manifests.ts';
import type { Digest } from '../digest.ts';
import { parseManifest } from '../manifest.ts';
import type { Descriptor } from '../schemas.ts';
import type { BlobCopyStatus, ImageSource, ImageTarget, ManifestRole } from './endpoints.ts';

/** One line of progress: a blob or manifest that was copied, mounted, or already there. */
export type CopyEvent = {
  readonly kind: 'blob' | 'manifest';
  readonly digest: Digest;
  readonly size: number;
  readonly mediaType: string;
  readonly status: BlobCopyStatus;
  readonly role?: ManifestRole;
};

export type CopyOptions = {
  /** The tag to apply at the target after everything else exists; none leaves the root untagged. */
  readonly tag?: string;
  /** Refuse to copy unless the source reference resolves to this digest. */
  readonly expectDigest?: Digest;
  /** Copy referrers (signatures, SBOMs, …) and their referrers. Default true. */
  readonly referrers?: boolean;
  /** Blobs moved at the same time. Default 4. */
  readonly concurrency?: number;
  readonly onProgress?: (event: CopyEvent) => void;
};

export type CopyResult = {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly size: number;
  readonly tag: string | undefined;
  readonly manifests: { readonly copied: number; readonly existing: number };
  readonly blobs: { readonly uploaded: number; readonly mounted: number; readonly existing: number };
  readonly referrers: number;
  /** Bytes of blobs actually moved (not mounted, not already there). */
  readonly bytes: number;
};

/**
 * Copies the image or index `reference` names, with every child, config and layer and
 * (recursively) every referrer, from source to target. Manifest bytes move verbatim, so
 * digests are preserved; blobs the target has are skipped; blobs are mounted when source
 * and target are repositories of one registry; the tag is applied last, once everything
 * it points to exists.
 */
export async function copyImage(source: ImageSource, target: ImageTarget, reference: string, options: CopyOptions = {}): Promise<CopyResult> {
  const root = await source.resolve(reference);
  if (options.expectDigest !== undefined && root.digest !== options.expectDigest) {
    throw new KilnError('DIGEST_MISMATCH', `${source.description}:${reference} is ${root.digest}, not the expected ${options.expectDigest}`);
  }
  const mountFrom =
    source.mountableFrom !== undefined && target.host !== undefined && source.mountableFrom.host === target.host
      ? source.mountableFrom.repository
      : undefined;
  const limit = limiter(options.concurrency ?? 4);
  const stats = { manifestsCopied: 0, manifestsExisting: 0, uploaded: 0, mounted: 0, blobsExisting: 0, referrers: 0, bytes: 0 };
  const emit = (event: CopyEvent) => options.onProgress?.(event);
  const blobs = new Map<Digest, Promise<void>>();
  const manifests = new Map<Digest, Promise<void>>();
  /** Every manifest of the copied trees, in order: where referrers are looked for. */
  const visited: Digest[] = [];

  const copyBlob = (d: Descriptor): Promise<void> => {
    let p = blobs.get(d.digest);
    if (!p) {
      p = limit(async () => {
        let status: BlobCopyStatus = 'exists';
        if (!(await target.hasBlob(d))) status = await target.putBlob(d, () => source.openBlob(d), mountFrom);
        if (status === 'uploaded') {
          stats.uploaded++;
          stats.bytes += d.size;
        } else if (status === 'mounted') stats.mounted++;
        else stats.blobsExisting++;
        emit({ kind: 'blob', digest: d.digest, size: d.size, mediaType: d.mediaType, status });
      });
      blobs.set(d.digest, p);
    }
    return p;
  };

  const copyManifest = (m: ManifestData, role: ManifestRole): Promise<void> => {
    let p = manifests.get(m.digest);
    if (!p) {
      p = (async () => {
        visited.push(m.digest);
        const parsed = parseManifest(m.bytes, `manifest ${m.digest} from ${source.description}`, m.mediaType);
        const present = await target.hasManifest(m.digest, role);
        if (parsed.kind === 'index') {
          // children are walked even when the index is there: their referrers may be new
          await Promise.all(parsed.manifest.manifests.map(async (d) => copyManifest(await source.getManifest(d), 'child')));
        } else if (!present) {
          const { config, layers } = parsed.manifest;
          // foreign layers (with urls) live elsewhere by design and are not copied
          await Promise.all([config, ...layers].filter((d) => !d.urls?.length).map(copyBlob));
        }
        if (!present) {
          await target.putManifest(m, role);
          stats.manifestsCopied++;
        } else stats.manifestsExisting++;
        emit({ kind: 'manifest', digest: m.digest, size: m.bytes.length, mediaType: m.mediaType, status: present ? 'exists' : 'uploaded', role });
      })();
      manifests.set(m.digest, p);
    }
    return p;
  };

  /**
   * cosign keeps signatures, attestations and SBOMs under tags named after the subject
   * (`sha256-<hex>.sig`, `.att`, `.sbom`) rather than as referrers: copy those tags too,
   * each after the manifest it names exists at the target.
   */
  const copyCosignTags = async (subjects: readonly Digest[]): Promise<void> => {
    await Promise.all(
      subjects.flatMap((subject) =>
        COSIGN_TAG_SUFFIXES.map(async (suffix) => {
          const tag = `${subject.replace(':', '-')}.${suffix}`;
          const m = await tryResolve(source, tag);
          if (m === undefined) return;
          stats.referrers++;
          await copyManifest(m, 'referrer');
          await target.tag(m, tag);
        }),
      ),
    );
  };

  await copyManifest(root, 'root');
  if (options.referrers !== false) {
    // Breadth first, one level at a time (all subjects of a level at once): the referrers of
    // everything copied so far, then of those referrers and their children, until none are new.
    let done = 0;
    while (done < visited.length) {
      const level = visited.slice(done);
      done = visited.length;
      await Promise.all(
        level.map(async (subject) => {
          for (const d of await source.referrers(subject)) {
            if (manifests.has(d.digest)) continue;
            stats.referrers++;
            await copyManifest(await source.getManifest(d), 'referrer');
          }
        }),
      );
    }
  }
  if (options.referrers !== false) await copyCosignTags([...visited]);
  await target.tag(root, options.tag);
  return {
    digest: root.digest,
    mediaType: root.mediaType,
    size: root.bytes.length,
    tag: options.tag,
    manifests: { copied: stats.manifestsCopied, existing: stats.manifestsExisting },
    blobs: { uploaded: stats.uploaded, mounted: stats.mounted, existing: stats.blobsExisting },
    referrers: stats.referrers,
    bytes: stats.bytes,
  };
}

const COSIGN_TAG_SUFFIXES = ['sig', 'att', 'sbom'] as const;

async function tryResolve(source: ImageSource, tag: string): Promise<ManifestData | undefined> {
  try {
    return await source.resolve(tag);
  } catch (e) {
    if (isKilnError(e) && e.code === 'NOT_FOUND') return undefined;
    throw e;
  }
}

/** Runs at most `n` tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
