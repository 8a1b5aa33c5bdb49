import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import type { ImageFacts } from '../../attest/index.ts';
import { warmApkReaders } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { Digest, OciLayout } from '../../oci/index.ts';
import { hostArch, type Arch } from '../arch.ts';
import { assembleImage, type AssembledImage } from '../assemble-image.ts';
import { archPackageEvidence, assertSbomComplete, imageFactsFor, supplierOf, type ArchPackageEvidence, type BuildInputFile, type ImageIdentity } from '../evidence/index.ts';
import type { DeflateRunCache } from '../layer-cache/deflate-run-cache.ts';
import { DEFAULT_GZIP_LEVEL } from '../layer/write-layer.ts';
import { warmLayerThreads } from '../layer/layer-threads.ts';
import { loadImageConfig } from '../load-image-config.ts';
import { buildRootfs, type BuiltRootfs } from './build-rootfs.ts';
import { lockEntriesFor, imageLockfileOf, type ImageLockfile } from './image-lockfile.ts';
import { resolveImageInputs } from './image-inputs.ts';

export type BuildImageInput = {
  readonly configFile: string;
  readonly repos: readonly string[];
  readonly keyrings: readonly string[];
  /** Empty: the configuration's `archs`, else the host's. */
  readonly archs: readonly Arch[];
  /** Rebuild exactly this lockfile's packages. */
  readonly lock?: { readonly file: string; readonly lockfile: ImageLockfile };
  readonly sourceDateEpoch: number;
  /** Where the image goes (a new, temporary layout: the caller publishes it on success). */
  readonly layout: OciLayout;
  readonly tag: string;
  /** How the SBOMs name the image (where it will be published); default: the configuration's file name. */
  readonly identity?: ImageIdentity;
  /** kiln's version, for the SBOMs' creator fields. */
  readonly toolVersion?: string;
  /** zlib level of the layers (default DEFAULT_GZIP_LEVEL); part of the output, like every other input. */
  readonly gzipLevel?: number;
  /** The layer cache: large files compressed by earlier builds (never changes the bytes). */
  readonly layerCache?: DeflateRunCache;
};

export type BuiltImage = {
  readonly image: AssembledImage;
  readonly rootfs: readonly BuiltRootfs[];
  /** The lockfile this build corresponds to. */
  readonly lockfile: ImageLockfile;
  readonly configDigest: string;
  /** The configuration file and its includes, each by its own digest (paths relative to the configuration's directory). */
  readonly configFiles: readonly BuildInputFile[];
  /** Per architecture: what the SBOMs and provenance say about its packages. */
  readonly evidence: readonly ArchPackageEvidence[];
  /** Per architecture, the SBOM facts of its platform manifest (checked complete). */
  readonly facts: readonly ImageFacts[];
  readonly warnings: readonly string[];
};

/** `sha256:` over the configuration and its includes, each file's length and bytes in order. */
export async function configDigestOf(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const f of files) {
    const bytes = await readFile(f);
    hash.update(`${bytes.length}\n`).update(bytes);
  }
  return `sha256:${hash.digest('hex')}`;
}

async function configFilesOf(top: string, files: readonly string[]): Promise<BuildInputFile[]> {
  const base = dirname(resolve(top));
  return Promise.all(
    files.map(async (f) => ({ uri: relative(base, f) || basename(f), digest: `sha256:${createHash('sha256').update(await readFile(f)).digest('hex')}` as Digest })),
  );
}

/**
 * `kiln image build`: loads the configuration, builds one root filesystem per
 * architecture ({@link buildRootfs}, from a lockfile when given), assembles the image
 * and index into `layout`, tagged `tag` (and `tag-ARCH` per platform), and gathers each
 * platform's SBOM facts, which must pass the completeness check ({@link assertSbomComplete})
 * or the build fails here, before the caller publishes anything.
 */
export async function buildImage(input: BuildImageInput): Promise<BuiltImage> {
  // threads take ~50-150 ms to start: they start now, while the configuration and the
  // indexes are read, rather than when the first package or block is handed to them
  warmApkReaders();
  warmLayerThreads();
  const { spec, files } = await loadImageConfig(input.configFile);
  const configDigest = await configDigestOf(files);
  const inputs = await resolveImageInputs(spec, input.configFile, { repos: input.repos, keyrings: input.keyrings });
  const host = hostArch();
  const archs = input.archs.length > 0 ? [...new Set(input.archs)].sort() : spec.archs.length > 0 ? spec.archs : host !== undefined ? [host] : [];
  if (archs.length === 0) throw new KilnError('USAGE', `${input.configFile}: no architecture; pass --arch`);
  const warnings = [...inputs.warnings];
  if (input.lock !== undefined && input.lock.lockfile.configDigest !== configDigest) {
    warnings.push(`${input.lock.file}: the configuration changed since it was locked; building the locked packages anyway`);
  }
  const configName = basename(input.configFile);
  const rootfs: BuiltRootfs[] = [];
  for (const arch of archs) {
    rootfs.push(
      await buildRootfs({
        spec,
        arch,
        repositories: inputs.repositories,
        keys: inputs.keys,
        configName,
        sourceDateEpoch: input.sourceDateEpoch,
        layer: { level: input.gzipLevel ?? DEFAULT_GZIP_LEVEL, ...(input.layerCache !== undefined && { cache: input.layerCache }) },
        ...(input.lock !== undefined && { lock: lockEntriesFor(input.lock.lockfile, arch, input.lock.file) }),
      }),
    );
  }
  // The package evidence needs only the root filesystems (and re-reads each .apk to hash
  // it): gathered while the layer is written, its reads and hashing fill the main
  // thread's waits for the compressor instead of following it.
  const gathering = Promise.all(rootfs.map((r) => archPackageEvidence(r, { supplier: supplierOf(spec) })));
  gathering.catch(() => undefined); // awaited below, after the image
  const image = await assembleImage({
    layout: input.layout,
    spec,
    rootfs: rootfs.map((r) => ({ arch: r.arch, entries: r.entries })),
    sourceDateEpoch: input.sourceDateEpoch,
    tag: input.tag,
    tagPerArch: true,
    ...(input.gzipLevel !== undefined && { gzipLevel: input.gzipLevel }),
  });
  const identity = input.identity ?? { name: configName.replace(/\.ya?ml$/, ''), repository: configName.replace(/\.ya?ml$/, '') };
  const gathered = await gathering;
  const evidence: ArchPackageEvidence[] = [];
  const facts: ImageFacts[] = [];
  for (const [i, r] of rootfs.entries()) {
    const manifest = image.images.find((m) => m.arch === r.arch)?.manifest.digest;
    if (manifest === undefined) throw new KilnError('INPUT_INVALID', `${r.arch}: assembled without a platform manifest`);
    const e = gathered[i];
    if (e === undefined) throw new KilnError('INPUT_INVALID', `${r.arch}: no package evidence gathered`);
    const f = imageFactsFor(e, spec, { identity, digest: manifest, sourceDateEpoch: input.sourceDateEpoch, ...(input.toolVersion !== undefined && { toolVersion: input.toolVersion }) });
    assertSbomComplete({ spec, arch: r.arch, entries: r.entries, facts: f });
    evidence.push(e);
    facts.push(f);
  }
  const lockfile = input.lock?.lockfile ?? imageLockfileOf(configDigest, rootfs);
  return { image, rootfs, lockfile, configDigest, configFiles: await configFilesOf(input.configFile, files), evidence, facts, warnings };
}
