export { buildRootfs, worldOf, readLocalRepositories, type BuildRootfsInput, type BuiltRootfs, type LocalRepository } from './build-rootfs.ts';
export { encodeInstalledDb, encodeInstalledRecord, type InstalledPackage, type InstalledPath } from './installed-db.ts';
export { installPackages, type PackageToInstall } from './install-packages.ts';
export { readResolvedPackages, installOrder } from './read-packages.ts';
export { mergePasswd, mergeGroup } from './accounts-files.ts';
export { applyPathMutations } from './apply-path-mutations.ts';
export { RootfsTree } from './rootfs-tree.ts';
export { addSystemFiles, encodeOsRelease, DEFAULT_OS_RELEASE, type SystemFilesInput } from './system-files.ts';
export { buildImage, configDigestOf, type BuildImageInput, type BuiltImage } from './build-image.ts';
export {
  parseImageLockfile,
  readImageLockfile,
  imageLockfileOf,
  encodeImageLockfile,
  lockEntriesFor,
  type ImageLockfile,
  type LockedPackage,
} from './image-lockfile.ts';
export { resolveImageInputs, type ImageInputs } from './image-inputs.ts';
