import { join } from 'node:path';
import { digestAlgorithm, digestHex, type Digest } from '../oci/index.ts';

/**
 * Where the filesystem driver keeps things under its root:
 *
 *   blobs/<alg>/<hex[0:2]>/<hex>                        content, shared by every repository
 *   uploads/<uuid>                                      an upload being staged
 *   repositories/<name>/_layers/<alg>/<hex>             the repository holds this blob (empty file)
 *   repositories/<name>/_manifests/revisions/<alg>/<hex> the repository holds this manifest (its media type)
 *   repositories/<name>/_manifests/tags/<tag>           the digest the tag points at
 *   repositories/<name>/_referrers/<alg>/<hex>/<alg>-<hex>.json  a referrer's descriptor, under its subject
 *
 * Name components start with [a-z0-9], so they never collide with `_layers` and friends.
 * Every name, digest, tag and uuid reaching here has been validated by the caller.
 */
export class FsPaths {
  readonly root: string;
  readonly blobsDir: string;
  readonly uploadsDir: string;
  readonly reposDir: string;

  constructor(root: string) {
    this.root = root;
    this.blobsDir = join(root, 'blobs');
    this.uploadsDir = join(root, 'uploads');
    this.reposDir = join(root, 'repositories');
  }

  blob(digest: Digest): string {
    const hex = digestHex(digest);
    return join(this.blobsDir, digestAlgorithm(digest), hex.slice(0, 2), hex);
  }

  upload(uuid: string): string {
    return join(this.uploadsDir, uuid);
  }

  repo(name: string): string {
    return join(this.reposDir, name);
  }

  layerLink(name: string, digest: Digest): string {
    return join(this.reposDir, name, '_layers', digestAlgorithm(digest), digestHex(digest));
  }

  revision(name: string, digest: Digest): string {
    return join(this.reposDir, name, '_manifests', 'revisions', digestAlgorithm(digest), digestHex(digest));
  }

  tagsDir(name: string): string {
    return join(this.reposDir, name, '_manifests', 'tags');
  }

  tag(name: string, tag: string): string {
    return join(this.tagsDir(name), tag);
  }

  referrersOf(name: string, subject: Digest): string {
    return join(this.reposDir, name, '_referrers', digestAlgorithm(subject), digestHex(subject));
  }

  referrer(name: string, subject: Digest, digest: Digest): string {
    return join(this.referrersOf(name, subject), `${digestAlgorithm(digest)}-${digestHex(digest)}.json`);
  }
}

/** Temp files of atomic writes start with a dot; listings skip them. */
export function isTempName(name: string): boolean {
  return name.startsWith('.');
}
