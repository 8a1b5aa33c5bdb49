import { KilnError, isKilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { type DownloadOptions, download } from './download.ts';
import { redactUrl } from './redact-url.ts';
import type { SourceEntry } from './source-cache.ts';
import type { SourceContext } from './source-context.ts';
import { fileNameOf, sourceLocations } from './source-locations.ts';

export type SourceOrigin = 'cache' | 'mirror' | 'upstream';

export type ObtainedSource = {
  readonly entry: SourceEntry;
  readonly origin: SourceOrigin;
  /** where the bytes came from this time (redacted); undefined for a cache hit */
  readonly from: string | undefined;
};

/**
 * Gets the blob pinned by `digests` into the source cache, verified: from the cache if
 * present (re-hashed: a cache on disk is not trusted blindly, and nothing is
 * downloaded), else from each mirror, else from `uri`. A mirror that lacks the file,
 * fails, or serves different bytes is logged and skipped; the same from `uri` is an
 * error. A mismatch leaves nothing in the cache (SourceCache.add).
 */
export async function obtainSource(
  ctx: SourceContext,
  uri: string,
  digests: readonly Digest[],
  where: string,
  overrides: DownloadOptions = {},
): Promise<ObtainedSource> {
  const log = ctx.log ?? (() => {});
  for (const d of digests) {
    const entry = await ctx.cache.entry(d);
    if (entry === undefined) continue;
    try {
      await ctx.cache.verify(d);
    } catch (e) {
      throw new KilnError('DIGEST_MISMATCH', `${where}: the cached copy ${ctx.cache.path(d)} no longer matches its digest; remove it to fetch again`, { cause: e });
    }
    if (digests.every((want) => want === entry.sha256 || want === entry.sha512)) {
      log(`fetch: ${d} found in the source cache`);
      return { entry, origin: 'cache', from: undefined };
    }
    throw new KilnError('DIGEST_MISMATCH', `${where}: pinned digests ${digests.join(', ')} disagree: the cached ${d} has ${entry.sha256} and ${entry.sha512}`);
  }
  const name = fileNameOf(uri);
  const locations = sourceLocations(ctx.mirrors ?? [], digests, uri, name);
  const misses: string[] = [];
  for (const url of locations) {
    const upstream = url === uri;
    const shown = redactUrl(url);
    if (ctx.offline && !url.startsWith('file:')) {
      misses.push(`${shown}: skipped (offline)`);
      continue;
    }
    log(`fetch: trying ${shown}`);
    try {
      const got = await download(
        url,
        (body) => ctx.cache.add(body, { expected: digests, ...(name !== undefined && { name }), uri, origin: shown }),
        { ...ctx.download, ...overrides, onRetry: ctx.download?.onRetry ?? log },
      );
      if (got.kind === 'found') return { entry: got.value, origin: upstream ? 'upstream' : 'mirror', from: shown };
      misses.push(got.reason);
      log(`fetch: ${got.reason}`);
    } catch (e) {
      if (upstream || !isKilnError(e) || !['DIGEST_MISMATCH', 'SIZE_MISMATCH', 'SOURCE_FETCH_FAILED'].includes(e.code)) {
        if (misses.length > 0 && isKilnError(e)) {
          throw new KilnError(e.code, `${where}: ${e.message} (before that: ${misses.join('; ')})`, { cause: e });
        }
        throw e;
      }
      misses.push(e.message);
      log(`fetch: mirror ${shown} failed: ${e.message}`);
    }
  }
  throw new KilnError('SOURCE_FETCH_FAILED', `${where}: ${digests.join(', ')} is not in the source cache and no location had it: ${misses.join('; ')}`);
}
