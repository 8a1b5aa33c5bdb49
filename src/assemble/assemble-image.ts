import { KilnError } from '../errors/index.ts';
import type { Descriptor, OciLayout } from '../oci/index.ts';
import { ociPlatformOf, type Arch } from './arch.ts';
import { buildImageConfig, imageAnnotations, rfc3339 } from './build-image-config.ts';
import { buildImageIndex } from './build-image-index.ts';
import { buildImageManifest } from './build-image-manifest.ts';
import type { FsEntry } from './fs-entry.ts';
import type { ImageSpec } from './image-spec.ts';
import { writeLayer, type LayerInfo } from './layer/write-layer.ts';

export type ArchRootfs = { readonly arch: Arch; readonly entries: readonly FsEntry[] };

export type AssembleImageInput = {
  readonly layout: OciLayout;
  readonly spec: ImageSpec;
  /** One root filesystem per architecture (each becomes one layer). */
  readonly rootfs: readonly ArchRootfs[];
  readonly sourceDateEpoch: number;
  /** Tag for the index in the layout's index.json; untagged when absent. */
  readonly tag?: string;
  /**
   * Also tag each platform manifest `TAG-ARCH` (OCI arch, `/` → `_`: `latest-amd64`,
   * `latest-arm_v7`), as apko does in its tarballs: tools such as umoci 0.4 cannot pick a
   * platform out of an index. Needs `tag`.
   */
  readonly tagPerArch?: boolean;
  readonly gzipLevel?: number;
  /** Blocks compressed at once (never changes the bytes). */
  readonly gzipConcurrency?: number;
};

export type AssembledArch = {
  readonly arch: Arch;
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly layer: LayerInfo;
};

export type AssembledImage = { readonly index: Descriptor; readonly images: readonly AssembledArch[] };

/**
 * Writes a multi-arch image into an OCI layout: per architecture one layer, its config
 * and manifest; then an index over them (with each platform), tagged. Blobs go in
 * before the index that names them, and index.json changes last, so a reader never sees
 * a tag that points at something missing. Architectures are built one after another,
 * in sorted order, whatever order `rootfs` lists them in.
 */
export async function assembleImage(input: AssembleImageInput): Promise<AssembledImage> {
  const { layout, spec, sourceDateEpoch } = input;
  if (input.rootfs.length === 0) throw new KilnError('INPUT_INVALID', 'an image needs at least one architecture');
  const archs = [...input.rootfs].sort((a, b) => (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0));
  for (let i = 1; i < archs.length; i++) {
    if (archs[i]?.arch === archs[i - 1]?.arch) throw new KilnError('INPUT_INVALID', `architecture ${archs[i]?.arch} is listed twice`);
  }
  const annotations = imageAnnotations(spec);
  const images: AssembledArch[] = [];
  for (const { arch, entries } of archs) {
    const layer = await writeLayer(entries, layout, {
      sourceDateEpoch,
      ...(input.gzipLevel !== undefined && { gzipLevel: input.gzipLevel }),
      ...(input.gzipConcurrency !== undefined && { gzipConcurrency: input.gzipConcurrency }),
    });
    const config = buildImageConfig({ spec, arch, diffIds: [layer.diffId], sourceDateEpoch });
    await layout.putBlob(config.bytes);
    const manifest = buildImageManifest({ config: config.descriptor, layers: [layer.descriptor], annotations });
    await layout.putBlob(manifest.bytes);
    images.push({ arch, manifest: manifest.descriptor, config: config.descriptor, layer });
  }
  const index = buildImageIndex({
    manifests: images.map((i) => ({ descriptor: i.manifest, platform: ociPlatformOf(i.arch) })),
    annotations: { ...annotations, 'org.opencontainers.image.created': rfc3339(sourceDateEpoch) },
  });
  await layout.putBlob(index.bytes);
  if (input.tagPerArch && input.tag !== undefined) {
    for (const i of images) {
      const p = ociPlatformOf(i.arch);
      await layout.addManifest({ ...i.manifest, platform: p }, `${input.tag}-${[p.architecture, p.variant].filter(Boolean).join('_')}`);
    }
  }
  await layout.addManifest(index.descriptor, input.tag);
  return { index: index.descriptor, images };
}

/**
 * SOURCE_DATE_EPOCH from the environment (whole seconds), or `fallback` when unset.
 * Anything else is refused rather than silently replaced by the clock.
 */
export function sourceDateEpochFrom(env: NodeJS.ProcessEnv = process.env, fallback = 0): number {
  const raw = env['SOURCE_DATE_EPOCH'];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]{1,11}$/.test(raw)) throw new KilnError('INPUT_INVALID', `SOURCE_DATE_EPOCH: expected whole seconds since 1970, found ${JSON.stringify(raw)}`);
  return Number(raw);
}
