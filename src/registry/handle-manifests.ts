import { KilnError } from '../errors/index.ts';
import {
  MAX_MANIFEST_BYTES,
  digestAlgorithm,
  digestOf,
  parseManifest,
  type Descriptor,
  type Digest,
  type ParsedManifest,
} from '../oci/index.ts';
import { RegistryError } from './errors.ts';
import { checkName, checkReference, type RequestContext } from './context.ts';
import { readBody, send } from './http-util.ts';
import type { ManifestToStore } from './storage.ts';

/** GET / HEAD /v2/<name>/manifests/<reference> (end-3). */
export async function getManifest(ctx: RequestContext, rawName: string, reference: string, head: boolean): Promise<void> {
  const name = checkName(rawName);
  checkReference(reference);
  const m = await ctx.storage.getManifest(name, reference);
  if (!m) throw new RegistryError('MANIFEST_UNKNOWN', `${name} has no manifest ${reference}`, { detail: { reference } });
  ctx.res.writeHead(200, {
    'Content-Type': m.mediaType,
    'Content-Length': m.bytes.length,
    'Docker-Content-Digest': m.digest,
    ETag: `"${m.digest}"`,
  });
  ctx.res.end(head ? undefined : m.bytes);
}

/**
 * PUT /v2/<name>/manifests/<reference> (end-7). The manifest must parse, match the
 * digest it is pushed by, and name only blobs (or, for an index, manifests) that the
 * repository already holds; its `subject` need not exist (OCI 1.1).
 */
export async function putManifest(ctx: RequestContext, rawName: string, reference: string): Promise<void> {
  const name = checkName(rawName);
  const ref = checkReference(reference);
  const bytes = await readBody(ctx.req, MAX_MANIFEST_BYTES, 'a manifest');
  const parsed = parse(bytes, `manifest ${name}:${reference}`, ctx.req.headers['content-type']);
  const digest = 'digest' in ref ? ref.digest : digestOf(bytes);
  if ('digest' in ref) {
    const actual = digestOf(bytes, digestAlgorithm(ref.digest));
    if (actual !== ref.digest) {
      throw new RegistryError('DIGEST_INVALID', `the manifest hashes to ${actual}, not ${ref.digest}`, {
        detail: { expected: ref.digest, actual },
      });
    }
  }
  await checkReferences(ctx, name, parsed);
  const subject = parsed.manifest.subject?.digest;
  const stored: ManifestToStore = {
    digest,
    mediaType: parsed.mediaType,
    bytes,
    ...('tag' in ref && { tag: ref.tag }),
    ...(subject !== undefined && { referrer: { subject, descriptor: referrerDescriptor(parsed, digest, bytes.length) } }),
  };
  await ctx.storage.putManifest(name, stored);
  send(ctx.res, 201, {
    Location: `/v2/${name}/manifests/${digest}`,
    'Docker-Content-Digest': digest,
    ...(subject !== undefined && { 'OCI-Subject': subject }),
  });
}

/** DELETE /v2/<name>/manifests/<reference> (end-9): by digest the manifest, by tag the tag. */
export async function deleteManifest(ctx: RequestContext, rawName: string, reference: string): Promise<void> {
  const name = checkName(rawName);
  const ref = checkReference(reference);
  const done = 'digest' in ref ? await ctx.storage.deleteManifest(name, ref.digest) : await ctx.storage.deleteTag(name, ref.tag);
  if (!done) throw new RegistryError('MANIFEST_UNKNOWN', `${name} has no manifest ${reference}`, { detail: { reference } });
  send(ctx.res, 202, {});
}

function parse(bytes: Buffer, where: string, contentType: string | undefined): ParsedManifest {
  try {
    return parseManifest(bytes, where, contentType);
  } catch (e) {
    if (e instanceof KilnError) throw new RegistryError('MANIFEST_INVALID', e.message, { cause: e });
    throw e;
  }
}

async function checkReferences(ctx: RequestContext, name: string, parsed: ParsedManifest): Promise<void> {
  const missing: Digest[] = [];
  if (parsed.kind === 'image') {
    const blobs = [parsed.manifest.config, ...parsed.manifest.layers].filter((d) => !isForeign(d));
    const found = await Promise.all(blobs.map((d) => ctx.storage.statBlob(name, d.digest)));
    blobs.forEach((d, i) => {
      if (!found[i]) missing.push(d.digest);
    });
  } else {
    const found = await Promise.all(parsed.manifest.manifests.map((d) => ctx.storage.hasManifest(name, d.digest)));
    parsed.manifest.manifests.forEach((d, i) => {
      if (!found[i]) missing.push(d.digest);
    });
  }
  if (missing.length > 0) {
    const what = parsed.kind === 'image' ? 'blob' : 'manifest';
    throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `the manifest names ${missing.length} ${what}(s) ${name} does not hold: ${missing[0]}`, {
      detail: { digests: [...new Set(missing)] },
    });
  }
}

/** Layers that live elsewhere by design (Windows base layers): not ours to check. */
function isForeign(d: Descriptor): boolean {
  return (d.urls?.length ?? 0) > 0;
}

/** How the manifest appears in its subject's referrers list (OCI 1.1 §referrers). */
function referrerDescriptor(parsed: ParsedManifest, digest: Digest, size: number): Descriptor {
  const artifactType =
    parsed.manifest.artifactType ?? (parsed.kind === 'image' ? parsed.manifest.config.mediaType : undefined);
  return {
    mediaType: parsed.mediaType,
    digest,
    size,
    ...(artifactType !== undefined && { artifactType }),
    ...(parsed.manifest.annotations !== undefined && { annotations: parsed.manifest.annotations }),
  };
}
