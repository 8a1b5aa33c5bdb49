import { KilnError } from '../../errors/index.ts';
import { RegistryClient } from '../client/client.ts';
import type { CredentialSearch } from '../client/docker-config.ts';
import type { RegistryClientOptions } from '../client/transport.ts';
import { OciLayout } from '../layout.ts';
import { formatImageRef, refTarget, type ImageRef } from '../reference.ts';
import { copyImage, type CopyOptions, type CopyResult } from './copy-image.ts';
import type { ImageSource, ImageTarget } from './endpoints.ts';
import { LayoutSource, LayoutTarget } from './layout-endpoint.ts';
import { RegistrySource, RegistryTarget } from './registry-endpoint.ts';

export type CopyRefsOptions = Omit<CopyOptions, 'tag' | 'expectDigest'> & {
  /** Client settings for every registry involved (insecure, retry, chunkSize, …). */
  readonly client?: Omit<RegistryClientOptions, 'host' | 'credentials'>;
  /** Where registry credentials are read from. */
  readonly auth?: CredentialSearch;
};

/**
 * `kiln copy SRC DST` on parsed references. The destination tag is DST's tag; without
 * one (and without a digest), SRC's tag, or `latest` when SRC named none either.
 */
export async function copyByReference(src: ImageRef, dst: ImageRef, options: CopyRefsOptions = {}): Promise<CopyResult> {
  const clients = new Map<string, Promise<RegistryClient>>();
  const clientFor = (host: string): Promise<RegistryClient> => {
    let c = clients.get(host);
    if (!c) {
      c = RegistryClient.forHost(host, { ...options.client, ...(options.auth !== undefined && { auth: options.auth }) });
      clients.set(host, c);
    }
    return c;
  };
  const source = await openSource(src, clientFor);
  const target = await openTarget(dst, clientFor);
  const sole = src.kind === 'layout' && src.tag === undefined && src.digest === undefined ? await soleEntry(src.dir) : undefined;
  const srcTag = sole ? sole.tag : src.tag;
  const tag = dst.tag ?? (dst.digest !== undefined ? undefined : (srcTag ?? (src.digest !== undefined || sole ? undefined : 'latest')));
  return copyImage(source, target, sole?.digest ?? refTarget(src), {
    ...options,
    ...(tag !== undefined && { tag }),
    ...(dst.digest !== undefined && { expectDigest: dst.digest }),
  });
}

async function openSource(ref: ImageRef, clientFor: (host: string) => Promise<RegistryClient>): Promise<ImageSource> {
  if (ref.kind === 'layout') {
    try {
      return new LayoutSource(await OciLayout.open(ref.dir));
    } catch (e) {
      throw new KilnError('NOT_FOUND', `source ${formatImageRef(ref)}: no OCI layout at ${ref.dir}`, { cause: e });
    }
  }
  return new RegistrySource(await clientFor(ref.host), ref.repository);
}

async function openTarget(ref: ImageRef, clientFor: (host: string) => Promise<RegistryClient>): Promise<ImageTarget> {
  if (ref.kind === 'layout') return new LayoutTarget(await OciLayout.open(ref.dir, { create: true }));
  return new RegistryTarget(await clientFor(ref.host), ref.repository);
}

/** Like skopeo: `oci:DIR` without a tag names the layout's only manifest, when it has just one. */
async function soleEntry(dir: string): Promise<{ readonly digest: string; readonly tag: string | undefined } | undefined> {
  const index = await (await OciLayout.open(dir)).readIndex();
  const only = index.manifests.length === 1 ? index.manifests[0] : undefined;
  return only ? { digest: only.digest, tag: only.annotations?.['org.opencontainers.image.ref.name'] } : undefined;
}
