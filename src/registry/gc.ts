import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../errors/index.ts';
import { isDigest, type Digest } from '../oci/index.ts';
import { FsPaths, isTempName } from './fs-paths.ts';
import { FsRegistryStorage } from './fs-storage.ts';

export type GcOptions = {
  readonly dryRun?: boolean;
  /** Uploads (and stray temp files) untouched for this long are removed. Default 24 h. */
  readonly uploadMaxAgeMs?: number;
  /**
   * Unreferenced blobs younger than this are kept (default 0). A push links its blobs
   * before it puts the manifest that references them; run gc while no push is in
   * flight, or give pushes this much grace.
   */
  readonly blobMinAgeMs?: number;
  readonly now?: number;
};

export type GcRemoval =
  | { readonly kind: 'blob'; readonly digest: Digest; readonly size: number }
  | { readonly kind: 'upload'; readonly name: string; readonly size: number; readonly ageHours: number }
  | { readonly kind: 'link'; readonly repository: string; readonly digest: Digest };

export type GcResult = {
  readonly dryRun: boolean;
  readonly removed: readonly GcRemoval[];
  readonly keptBlobs: number;
  readonly bytesFreed: number;
};

const HOUR = 3_600_000;

/**
 * Mark and sweep over the filesystem driver's layout. Roots are the manifests every
 * repository holds (tagged or not); each marks itself and the config, layers and child
 * manifests it names. Blobs nothing marks are removed, with the repository links to
 * them; so are uploads older than `uploadMaxAgeMs`.
 */
export async function collectGarbage(storageDir: string, options: GcOptions = {}): Promise<GcResult> {
  const root = await stat(storageDir).catch(() => undefined);
  if (!root?.isDirectory()) throw new KilnError('NOT_FOUND', `${storageDir}: no registry storage directory there`);
  const paths = new FsPaths(storageDir);
  const storage = new FsRegistryStorage(storageDir);
  const dryRun = options.dryRun ?? false;
  const now = options.now ?? Date.now();
  const uploadMaxAge = options.uploadMaxAgeMs ?? 24 * HOUR;
  const blobMinAge = options.blobMinAgeMs ?? 0;
  const removed: GcRemoval[] = [];
  const remove = async (path: string): Promise<void> => {
    if (!dryRun) await rm(path, { force: true, recursive: true });
  };

  // mark
  const repos = await storage.listRepositories();
  const marked = new Set<string>();
  for (const repo of repos) {
    for (const digest of await listDigests(join(paths.repo(repo), '_manifests', 'revisions'))) {
      marked.add(digest);
      const bytes = await readFile(paths.blob(digest)).catch(() => undefined);
      if (bytes) for (const d of referencedBy(bytes)) marked.add(d);
    }
  }

  // sweep blobs
  let keptBlobs = 0;
  let bytesFreed = 0;
  const gone = new Set<string>();
  for (const alg of await names(paths.blobsDir)) {
    for (const prefix of await names(join(paths.blobsDir, alg))) {
      for (const file of await names(join(paths.blobsDir, alg, prefix))) {
        const path = join(paths.blobsDir, alg, prefix, file);
        const st = await stat(path).catch(() => undefined);
        if (!st) continue;
        const age = now - st.mtimeMs;
        if (isTempName(file)) {
          if (age >= uploadMaxAge) await remove(path);
          continue;
        }
        const digest = `${alg}:${file}`;
        if (!isDigest(digest) || marked.has(digest) || age < blobMinAge) {
          keptBlobs++;
          continue;
        }
        await remove(path);
        gone.add(digest);
        bytesFreed += st.size;
        removed.push({ kind: 'blob', digest, size: st.size });
      }
    }
  }

  // links to blobs that are gone (now, or before)
  for (const repo of repos) {
    for (const digest of await listDigests(join(paths.repo(repo), '_layers'))) {
      if (gone.has(digest) || !(await exists(paths.blob(digest)))) {
        await remove(paths.layerLink(repo, digest));
        removed.push({ kind: 'link', repository: repo, digest });
      }
    }
  }

  // stale uploads
  for (const name of await names(paths.uploadsDir)) {
    const path = join(paths.uploadsDir, name);
    const st = await stat(path).catch(() => undefined);
    if (!st || now - st.mtimeMs < uploadMaxAge) continue;
    await remove(path);
    bytesFreed += st.size;
    removed.push({ kind: 'upload', name, size: st.size, ageHours: Math.floor((now - st.mtimeMs) / HOUR) });
  }

  return { dryRun, removed, keptBlobs, bytesFreed };
}

/** Digests a manifest (or index) names as its own: config, layers, child manifests. */
function referencedBy(bytes: Buffer): Digest[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return [];
  }
  const m = doc as { config?: { digest?: unknown }; layers?: unknown; manifests?: unknown };
  const descriptors = [m.config, ...(Array.isArray(m.layers) ? m.layers : []), ...(Array.isArray(m.manifests) ? m.manifests : [])];
  return descriptors
    .map((d) => (d as { digest?: unknown } | undefined)?.digest)
    .filter((d): d is Digest => typeof d === 'string' && isDigest(d));
}

/** `<dir>/<alg>/<hex>` files as digests. */
async function listDigests(dir: string): Promise<Digest[]> {
  const out: Digest[] = [];
  for (const alg of await names(dir)) {
    for (const hex of await names(join(dir, alg))) {
      const d = `${alg}:${hex}`;
      if (isDigest(d)) out.push(d);
    }
  }
  return out;
}

async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
