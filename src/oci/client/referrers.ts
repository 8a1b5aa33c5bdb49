import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { canonicalJsonBytes } from '../canonical-json.ts';
import { digestAlgorithm, digestHex, type Digest } from '../digest.ts';
import { parseManifest } from '../manifest.ts';
import { MediaType } from '../media-types.ts';
import { ImageIndexSchema, type Descriptor, type ImageIndex } from '../schemas.ts';
import { repositoryScope } from './auth.ts';
import { header, readBody } from './http.ts';
import { nextLink } from './listing.ts';
import { putManifest, tryGetManifest } from './manifests.ts';
import type { Transport } from './transport.ts';

/** The referrers tag schema's tag for a subject: `sha256-<hex>`, cut to the 128 characters a tag may have. */
export function referrersFallbackTag(subject: Digest): string {
  return `${digestAlgorithm(subject)}-${digestHex(subject)}`.slice(0, 128);
}

/**
 * Manifests that name `subject` as their subject: from the referrers API, or — when the
 * registry answers 404 there, as registries older than distribution-spec 1.1 do — from
 * the index under the fallback tag. Filtered by artifactType when given.
 */
export async function listReferrers(
  t: Transport,
  repository: string,
  subject: Digest,
  artifactType?: string,
  noApi?: Set<string>,
): Promise<Descriptor[]> {
  // once a repository showed it has no referrers API, go straight to the tag (saves a request per subject)
  if (noApi?.has(repository)) return fallbackReferrers(t, repository, subject, artifactType);
  const query = artifactType !== undefined ? `?${new URLSearchParams({ artifactType })}` : '';
  let next: string | undefined = `/v2/${repository}/referrers/${subject}${query}`;
  const out: Descriptor[] = [];
  let filtered = false;
  while (next !== undefined) {
    const res = await t.request({
      method: 'GET',
      path: next,
      headers: { accept: MediaType.ociIndex },
      scopes: [repositoryScope(repository, 'pull')],
      operation: { host: t.host, repository, what: `GET referrers of ${subject}` },
      ok: [200, 404, 405],
    });
    if (res.status !== 200) {
      // a JSON error body (NAME_UNKNOWN…) may come from a registry that has the API; a plain 404
      // page or 405 is a registry without the route
      const body = await readBody(res, 64 * 1024).catch(() => Buffer.alloc(0));
      if (res.status === 405 || !body.toString('utf8').trimStart().startsWith('{')) noApi?.add(repository);
      if (out.length > 0) break;
      return fallbackReferrers(t, repository, subject, artifactType);
    }
    filtered ||= (header(res, 'oci-filters-applied') ?? '').split(',').map((s) => s.trim()).includes('artifactType');
    const body = await readBody(res, 16 * 1024 * 1024);
    out.push(...parseIndex(body, `referrers of ${subject} on ${t.host}/${repository}`).manifests);
    const link = nextLink(header(res, 'link'));
    next = link !== undefined ? t.url(link).href : undefined;
  }
  return artifactType !== undefined && !filtered ? out.filter((d) => d.artifactType === artifactType) : out;
}

async function fallbackReferrers(t: Transport, repository: string, subject: Digest, artifactType?: string): Promise<Descriptor[]> {
  const found = await tryGetManifest(t, repository, referrersFallbackTag(subject));
  if (!found) return [];
  const index = parseIndex(found.bytes, `referrers tag ${referrersFallbackTag(subject)} on ${t.host}/${repository}`);
  return artifactType !== undefined ? index.manifests.filter((d) => d.artifactType === artifactType) : [...index.manifests];
}

function parseIndex(bytes: Buffer, where: string): ImageIndex {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new KilnError('REGISTRY_ERROR', `${where}: not JSON`, { cause });
  }
  const r = ImageIndexSchema.safeParse(json);
  if (!r.success) throw new KilnError('REGISTRY_ERROR', `${where}: not an image index: ${describeZodIssues(r.error)}`);
  return r.data;
}

/** The descriptor of a referrer as a referrers index lists it: with artifactType and annotations. */
export function referrerDescriptor(bytes: Uint8Array, mediaType: string, digest: Digest, where: string): Descriptor {
  const parsed = parseManifest(bytes, where, mediaType);
  const m = parsed.manifest;
  const artifactType = m.artifactType ?? (parsed.kind === 'image' ? parsed.manifest.config.mediaType : undefined);
  return {
    mediaType: parsed.mediaType,
    digest,
    size: bytes.length,
    ...(artifactType !== undefined && { artifactType }),
    ...(m.annotations !== undefined && { annotations: m.annotations }),
  };
}

/**
 * Adds a referrer to the subject's fallback index tag (creating it), for registries
 * without the referrers API. Read-modify-write: callers serialise it per subject.
 */
export async function addToReferrersFallback(t: Transport, repository: string, subject: Digest, referrer: Descriptor): Promise<void> {
  const tag = referrersFallbackTag(subject);
  const found = await tryGetManifest(t, repository, tag);
  const index: ImageIndex = found
    ? parseIndex(found.bytes, `referrers tag ${tag} on ${t.host}/${repository}`)
    : { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  if (index.manifests.some((d) => d.digest === referrer.digest)) return;
  const updated: ImageIndex = { ...index, manifests: [...index.manifests, referrer] };
  await putManifest(t, repository, tag, canonicalJsonBytes(updated), MediaType.ociIndex);
}

/** Runs tasks one at a time per key, e.g. updates of one fallback tag. */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
