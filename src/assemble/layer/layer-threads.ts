import { ThreadPool } from '../../threads/index.ts';
import type { LayerJob, LayerJobReply } from './layer-worker.ts';

let shared: ThreadPool<LayerJob, LayerJobReply> | undefined;

/**
 * The process's layer threads (layer-worker.ts), started on first use and kept, so
 * that kiln serve reuses them from build to build.
 */
export function layerThreads(): ThreadPool<LayerJob, LayerJobReply> {
  shared ??= new ThreadPool({ url: new URL('./layer-worker.ts', import.meta.url), name: 'layer' });
  return shared;
}

/** Starts the layer threads ahead of the first block (they take ~50-150 ms to load). */
export function warmLayerThreads(): void {
  layerThreads().warm();
}

/**
 * compressBlock on a layer thread. The bytes are copied into buffers of their own and
 * moved there: posting a view would copy the whole buffer it is a view of (a package's
 * entire data stream for one of its files).
 */
export async function compressOnThread(data: Uint8Array, dictionary: Uint8Array | undefined, level: number): Promise<CompressedBlock> {
  const own = new Uint8Array(data);
  const dict = dictionary !== undefined && dictionary.length > 0 ? new Uint8Array(dictionary) : undefined;
  const reply = await layerThreads().run({ data: own, dictionary: dict, level }, dict === undefined ? [own.buffer] : [own.buffer, dict.buffer]);
  return { bytes: Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength), crc: reply.crc, length: data.length };
}

/** Compressed bytes with the CRC-32 and length of what they hold. */
export type CompressedBlock = { readonly bytes: Buffer; readonly crc: number; readonly length: number };
