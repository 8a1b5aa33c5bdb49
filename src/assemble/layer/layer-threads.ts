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
export function compressBlockOnThread(data: Uint8Array, dictionary: Uint8Array | undefined, level: number): Promise<CompressedBlock> {
  const own = new Uint8Array(data);
  const dict = dictionary !== undefined && dictionary.length > 0 ? new Uint8Array(dictionary) : undefined;
  return onThread({ kind: 'block', data: own, dictionary: dict, level }, dict === undefined ? [own.buffer] : [own.buffer, dict.buffer], data.length);
}

/** compressStandalone on a layer thread (the content copied and moved, as above). */
export function compressStandaloneOnThread(content: Uint8Array, level: number): Promise<CompressedBlock> {
  const own = new Uint8Array(content);
  return onThread({ kind: 'standalone', data: own, level }, [own.buffer], content.length);
}

async function onThread(job: LayerJob, transfer: ArrayBuffer[], length: number): Promise<CompressedBlock> {
  const reply = await layerThreads().run(job, transfer);
  return { bytes: Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength), crc: reply.crc, length };
}

/** Compressed bytes with the CRC-32 and length of what they hold. */
export type CompressedBlock = { readonly bytes: Buffer; readonly crc: number; readonly length: number };
