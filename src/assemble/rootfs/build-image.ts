import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import type { OciLayout } from '../../oci/index.ts';
import { hostArch, type Arch } from '../arch.ts';
import { assembleImage, type AssembledImage } from '../assemble-image.ts';
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
};

export type BuiltImage = {
  readonly image: AssembledImage;
  readonly rootfs: readonly BuiltRootfs[];
  /** The lockfile this build corresponds to. */
  readonly lockfile: ImageLockfile;
  readonly configDigest: string;
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

/**
 * `kiln image build`: loads the configuration, builds one root filesystem per
 * architecture ({@link buildRootfs}, from a lockfile when given), and assembles the
 * image and index into `layout`, tagged `tag` (and `tag-ARCH` per platform).
 */
export async function buildImage(input: BuildImageInput): Promise<BuiltImage> {
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
        ...(input.lock !== undefined && { lock: lockEntriesFor(input.lock.lockfile, arch, input.lock.file) }),
      }),
    );
  }
  const image = await assembleImage({
    layout: input.layout,
    spec,
    rootfs: rootfs.map((r) => ({ arch: r.arch, entries: r.entries })),
    sourceDateEpoch: input.sourceDateEpoch,
    tag: input.tag,
    tagPerArch: true,
  });
  const lockfile = input.lock?.lockfile ?? imageLockfileOf(configDigest, rootfs);
  return { image, rootfs, lockfile, configDigest, warnings };
}
