import { randomBytes } from 'node:crypto';
import { pack } from 'tar-stream';
import { canonicalJsonBytes } from '../oci/canonical-json.ts';
import { digestOf, type Digest } from '../oci/digest.ts';
import type { OciLayout } from '../oci/layout.ts';
import { EMPTY_JSON, MediaType } from '../oci/media-types.ts';
import type { Descriptor } from '../oci/schemas.ts';

/** A blob in memory with its descriptor fields. */
export type TestBlob = { readonly data: Buffer; readonly digest: Digest; readonly size: number; readonly mediaType: string };

/** A manifest in memory, with every blob it references. */
export type TestManifest = {
  readonly bytes: Buffer;
  readonly digest: Digest;
  readonly mediaType: string;
  readonly blobs: readonly TestBlob[];
  readonly descriptor: Descriptor;
};

export function randomBlob(size: number, mediaType: string = MediaType.ociLayerTar): TestBlob {
  const data = randomBytes(size);
  return { data, digest: digestOf(data), size, mediaType };
}

export function blobOf(data: Buffer, mediaType: string): TestBlob {
  return { data, digest: digestOf(data), size: data.length, mediaType };
}

/** An uncompressed tar with the given files (mtime fixed), as a real layer. */
export async function tarLayer(files: Readonly<Record<string, string | Buffer>>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) {
    p.entry({ name, mtime: new Date(0), mode: 0o644, uid: 0, gid: 0 }, typeof content === 'string' ? Buffer.from(content) : content);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function manifestOf(doc: object, mediaType: string, blobs: readonly TestBlob[], extra: Partial<Descriptor> = {}): TestManifest {
  const bytes = canonicalJsonBytes(doc);
  const digest = digestOf(bytes);
  return { bytes, digest, mediaType, blobs, descriptor: { mediaType, digest, size: bytes.length, ...extra } };
}

const descriptorOf = (b: TestBlob): Descriptor => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });

/** An image manifest over the given layers (random ones by default) and a matching config. */
export function makeImage(options: { readonly layers?: readonly TestBlob[]; readonly layerSizes?: readonly number[]; readonly label?: string } = {}): TestManifest {
  const layers = options.layers ?? (options.layerSizes ?? [1024, 2048]).map((n) => randomBlob(n));
  const config = blobOf(
    canonicalJsonBytes({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'kiln.test': options.label ?? randomBytes(4).toString('hex') } },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
    MediaType.ociConfig,
  );
  const doc = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: descriptorOf(config), layers: layers.map(descriptorOf) };
  return manifestOf(doc, MediaType.ociManifest, [config, ...layers]);
}

/** An index over image manifests (platforms amd64, arm64, … in order). */
export function makeIndex(children: readonly TestManifest[]): TestManifest {
  const archs = ['amd64', 'arm64', 'riscv64', 's390x'];
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: children.map((c, i) => ({ ...c.descriptor, platform: { architecture: archs[i % archs.length], os: 'linux' } })),
  };
  return manifestOf(doc, MediaType.ociIndex, []);
}

/** An OCI 1.1 artifact (empty config, one payload layer) whose subject is `subject`. */
export function makeReferrer(subject: Descriptor, artifactType: string, payload: Buffer = randomBytes(64)): TestManifest {
  const config = blobOf(EMPTY_JSON, MediaType.ociEmpty);
  const layer = blobOf(payload, 'application/octet-stream');
  const annotations = { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' };
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: descriptorOf(config),
    layers: [descriptorOf(layer)],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  return manifestOf(doc, MediaType.ociManifest, [config, layer], { artifactType, annotations });
}

/** The part of RegistryClient these helpers use (kept structural so testing/ needs no client import). */
export type PushTarget = {
  pushBlob(repository: string, body: Buffer, expected: { digest: Digest; size: number }): Promise<unknown>;
  putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<unknown>;
};

/** Pushes blobs then manifests (children before parents), tagging the last one. */
export async function pushManifests(client: PushTarget, repository: string, manifests: readonly TestManifest[], tag?: string): Promise<void> {
  for (const [i, m] of manifests.entries()) {
    for (const b of m.blobs) await client.pushBlob(repository, b.data, { digest: b.digest, size: b.size });
    const last = i === manifests.length - 1;
    await client.putManifest(repository, last && tag !== undefined ? tag : m.digest, m.bytes, m.mediaType);
  }
}

/** Writes manifests and their blobs into a layout; `listed` ones go into index.json (the last with `tag`). */
export async function writeManifests(layout: OciLayout, manifests: readonly TestManifest[], listed: readonly TestManifest[], tag?: string): Promise<void> {
  for (const m of manifests) {
    for (const b of m.blobs) await layout.putBlob(b.data, { digest: b.digest, size: b.size });
    await layout.putBlob(m.bytes, { digest: m.digest, size: m.bytes.length });
  }
  for (const [i, m] of listed.entries()) {
    await layout.addManifest(m.descriptor, i === listed.length - 1 ? tag : undefined);
  }
}
