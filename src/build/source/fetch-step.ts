import { constants } from 'node:fs';
import { chmod, copyFile, lstat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { type ExtractResult, extractArchive } from './extract-archive.ts';
import { parseFetchInputs } from './fetch-inputs.ts';
import { mkdirInside } from './mkdir-inside.ts';
import { type SourceOrigin, obtainSource } from './obtain-source.ts';
import { obtainSignature } from './obtain-signature.ts';
import { resolveRecipeFile } from './recipe-file.ts';
import type { SourceContext } from './source-context.ts';
import { fileNameOf } from './source-locations.ts';
import { type PinnedKey, readPinnedKeys } from './verify-signature.ts';

/** What a fetch step did, for the build log, the SBOM and provenance. */
export type FetchResult = {
  readonly kind: 'fetch';
  readonly uri: string;
  readonly sha256: Digest;
  readonly sha512: Digest;
  readonly size: number;
  readonly origin: SourceOrigin;
  readonly from: string | undefined;
  readonly signature: { readonly fingerprint: string; readonly keyFile: string; readonly signature: Digest } | undefined;
  readonly extracted: ExtractResult | undefined;
  readonly purl: { readonly name?: string; readonly version?: string };
};

/**
 * `uses: fetch`, outside the sandbox. In order, each a gate for the next:
 * pinned keys are read (a missing or escaping key file fails before any download);
 * the archive is obtained into the source cache and its digest checked; its
 * signature, if the recipe asks for one, is verified; only then is it extracted
 * into `directory` (relative to the workspace), or, with `extract: false`, copied.
 * As in melange, the archive is also left in the workspace root under its file name
 * unless `delete: true`.
 */
export async function runFetch(raw: Readonly<Record<string, string>>, ctx: SourceContext, where = 'fetch'): Promise<FetchResult> {
  const inputs = parseFetchInputs(raw, where);
  const keys: PinnedKey[] = [];
  for (const k of inputs.signature?.keys ?? []) {
    keys.push(...(await readPinnedKeys(await resolveRecipeFile(ctx.recipeDir, k, `${where}.with.signature-keys`))));
  }
  const got = await obtainSource(ctx, inputs.uri, inputs.digests, where, {
    // melange passes retry-limit to wget --tries: attempts in all, not retries
    ...(inputs.retries !== undefined && { retries: Math.max(0, inputs.retries - 1) }),
    ...(inputs.idleTimeoutSeconds !== undefined && { idleTimeoutMs: inputs.idleTimeoutSeconds * 1000 }),
  });
  const { entry } = got;
  const signature = inputs.signature ? await obtainSignature(ctx, entry, inputs.signature.uri, keys, where) : undefined;

  const dir = await mkdirInside(ctx.workspace, inputs.directory, `${where}.with.directory`);
  const extracted = inputs.extract ? await extractArchive(entry.path, dir, { stripComponents: inputs.stripComponents }) : undefined;
  const name = fileNameOf(inputs.uri);
  if (!inputs.delete || !inputs.extract) {
    if (name === undefined) throw new KilnError('PIPELINE_INVALID', `${where}.with.uri: ${inputs.uri} names no file to save the download as`);
    await placeCopy(entry.path, join(inputs.extract ? ctx.workspace : dir, name), where);
  }
  return {
    kind: 'fetch',
    uri: inputs.uri,
    sha256: entry.sha256,
    sha512: entry.sha512,
    size: entry.size,
    origin: got.origin,
    from: got.from,
    signature: signature && { fingerprint: signature.fingerprint, keyFile: signature.keyFile, signature: signature.signature },
    extracted,
    purl: inputs.purl,
  };
}

/** Copies the archive into the workspace without following a link planted there. */
async function placeCopy(from: string, to: string, where: string): Promise<void> {
  const st = await lstat(to).catch(() => undefined);
  if (st?.isDirectory()) throw new KilnError('PATH_UNSAFE', `${where}: cannot save the download as ${to}: a directory is there`);
  if (st !== undefined) await unlink(to);
  await copyFile(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
  await chmod(to, 0o644);
}
