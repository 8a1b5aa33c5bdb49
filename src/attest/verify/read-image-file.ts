import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { KilnError } from '../../errors/index.ts';
import { MediaType, type ImageManifest } from '../../oci/index.ts';
import type { EvidenceStore } from '../attach/index.ts';

/** Files this large are not read into memory (the apk database of a big image is a few MB). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/**
 * A file's content from an image's layers (the last layer that has it wins; a whiteout
 * in a later layer removes it). Undefined when no layer has it.
 */
export async function readImageFile(store: EvidenceStore, manifest: ImageManifest, path: string): Promise<Buffer | undefined> {
  let found: Buffer | undefined;
  const name = path.replace(/^\/+/, '');
  const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/') + 1) : '';
  const whiteout = `${dir}.wh.${name.slice(dir.length)}`;
  for (const layer of manifest.layers) {
    const result = await scanLayer(layerStream(layer.mediaType, store.openBlob(layer)), name, whiteout, layer.digest);
    if (result.kind === 'found') found = result.data;
    else if (result.kind === 'removed') found = undefined;
  }
  return found;
}

function layerStream(mediaType: string, blob: Readable): Readable {
  if (mediaType === MediaType.ociLayerGzip || mediaType === MediaType.dockerLayerGzip) return blob.pipe(createGunzip());
  if (mediaType === MediaType.ociLayerTar) return blob;
  throw new KilnError('MANIFEST_INVALID', `layer media type ${mediaType} cannot be read (expected tar or tar+gzip)`);
}

type ScanResult = { readonly kind: 'found'; readonly data: Buffer } | { readonly kind: 'removed' } | { readonly kind: 'absent' };

async function scanLayer(tar: Readable, name: string, whiteout: string, digest: string): Promise<ScanResult> {
  const ex = extract();
  let result: ScanResult = { kind: 'absent' };
  ex.on('entry', (header, stream, next) => {
    const entry = header.name.replace(/^\.?\/+/, '');
    if (entry === whiteout) result = { kind: 'removed' };
    if (entry !== name || header.type !== 'file') {
      stream.on('end', next);
      stream.resume();
      return;
    }
    if ((header.size ?? 0) > MAX_FILE_BYTES) {
      next(new KilnError('INPUT_INVALID', `${name} in layer ${digest} is ${header.size} bytes, over ${MAX_FILE_BYTES}`));
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    stream.on('end', () => {
      result = { kind: 'found', data: Buffer.concat(chunks) };
      next();
    });
  });
  await pipeline(tar, ex);
  return result;
}
