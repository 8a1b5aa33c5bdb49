import { buffer } from 'node:stream/consumers';
import { KilnError, isKilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { download } from './download.ts';
import { redactUrl } from './redact-url.ts';
import type { SourceEntry } from './source-cache.ts';
import type { SourceContext } from './source-context.ts';
import { fileNameOf, sourceLocations } from './source-locations.ts';
import { type PinnedKey, type SignatureCheck, verifyDetachedSignature } from './verify-signature.ts';

/** Detached signatures are small; anything bigger is not one. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;

/**
 * Checks a cached source against a detached signature by one of `keys`. Signatures
 * that verified before are remembered in the source's cache record, so a rebuild (or
 * one seeded with `kiln source add --signature`) needs no network; otherwise the
 * signature is fetched (mirrors by name, then `signatureUri`), cached, verified, and
 * remembered. Throws SIGNATURE_INVALID when no signature verifies.
 */
export async function obtainSignature(
  ctx: SourceContext,
  entry: SourceEntry,
  signatureUri: string,
  keys: readonly PinnedKey[],
  where: string,
): Promise<SignatureCheck & { readonly signature: Digest }> {
  const log = ctx.log ?? (() => {});
  let firstFailure: unknown;
  for (const s of entry.record.signatures as readonly Digest[]) {
    if (!(await ctx.cache.has(s))) continue;
    try {
      const bytes = await buffer(ctx.cache.open(s));
      const check = await verifyDetachedSignature(entry.path, bytes, keys, `${where}: signature ${s} (cached)`);
      log(`fetch: signature by ${check.fingerprint} verified (cached ${s})`);
      return { ...check, signature: s };
    } catch (e) {
      if (!isKilnError(e) || e.code !== 'SIGNATURE_INVALID') throw e;
      firstFailure ??= e;
    }
  }
  const name = fileNameOf(signatureUri);
  const misses: string[] = [];
  for (const url of sourceLocations(ctx.mirrors ?? [], [], signatureUri, name)) {
    const shown = redactUrl(url);
    if (ctx.offline && !url.startsWith('file:')) {
      misses.push(`${shown}: skipped (offline)`);
      continue;
    }
    const got = await download(url, (body) => ctx.cache.add(body, { ...(name !== undefined && { name }), uri: signatureUri, origin: shown }), {
      ...ctx.download,
      maxBytes: MAX_SIGNATURE_BYTES,
      onRetry: ctx.download?.onRetry ?? log,
    }).catch((e: unknown) => {
      if (url === signatureUri) throw e;
      return { kind: 'absent' as const, reason: `${shown}: ${(e as Error).message}` };
    });
    if (got.kind === 'absent') {
      misses.push(got.reason);
      continue;
    }
    const sig = got.value;
    const bytes = await buffer(ctx.cache.open(sig.sha256));
    // a wrong signature from a mirror must not hide a good one upstream
    try {
      const check = await verifyDetachedSignature(entry.path, bytes, keys, `${where}: signature from ${shown}`);
      await ctx.cache.annotate(entry.sha256, { signatures: [sig.sha256] });
      log(`fetch: signature by ${check.fingerprint} verified (${shown})`);
      return { ...check, signature: sig.sha256 };
    } catch (e) {
      if (url === signatureUri) throw e;
      misses.push((e as Error).message);
    }
  }
  if (firstFailure !== undefined) throw firstFailure;
  throw new KilnError('SIGNATURE_INVALID', `${where}: no signature for ${entry.sha256} could be obtained: ${misses.join('; ')}`);
}
