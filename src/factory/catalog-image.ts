import type { ApkConstraint } from '../apk/index.ts';
import type { ImageSpec } from '../assemble/index.ts';
import type { Digest } from '../oci/index.ts';

/**
 * One image of the catalog, loaded from `catalog/NAME.yaml` and its apko config. An
 * image version is (image, line, primary-package version); each version is published
 * once per variant.
 */
export type CatalogImage = {
  /** The repository name under the publish prefix, e.g. `nginx` or `python`. */
  readonly name: string;
  /** One line for the console and `kiln search`. */
  readonly description?: string;
  /** The catalog file it came from, for messages. */
  readonly file: string;
  /** The package whose version is the image's version (`nginx` → `nginx:1.27.4`). */
  readonly primaryPackage: string;
  /** The apko config (absolute path, inside the catalog directory) and what it parsed to. */
  readonly configFile: string;
  readonly spec: ImageSpec;
  /** Sorted by name, `prod` first. */
  readonly variants: readonly CatalogVariant[];
  /** In file order. */
  readonly lines: readonly CatalogLine[];
  readonly tags: TagPolicy;
};

/** The production variant: no tag suffix. Every other variant `v` tags as `1.2.3-v`, `latest-v`, … */
export const PRODUCTION_VARIANT = 'prod';

export type CatalogVariant = {
  readonly name: string;
  /** `''` for prod, `-dev` for dev: appended to the version and floating tags, before a timestamp. */
  readonly suffix: string;
  /** Extra packages in this variant's world, as written (`busybox`, `apk-tools>=2.14`). */
  readonly addPackages: readonly string[];
  /**
   * sha256 over the canonical JSON of the image spec plus this variant's additions: part of
   * the input fingerprint, so an edit to the config or the variant rebuilds.
   */
  readonly configDigest: Digest;
};

/** A release line such as `1.27` or `3.13`: the versions of the primary package it follows. */
export type CatalogLine = {
  readonly name: string;
  /** As written, e.g. `~1.27` or `>=3.12 <3.13`. */
  readonly constraint: string;
  /** Each part applied to the primary package; a version belongs to the line when it meets all of them. */
  readonly constraints: readonly ApkConstraint[];
  /** `YYYY-MM-DD`: from 00:00 UTC that day the line is end-of-life and nothing in it is rebuilt. */
  readonly eol?: string;
};

/** `latest` → `latest`; `major` → `3`; `minor` → `3.14` (each with the variant's suffix). */
export type FloatingTagKind = 'latest' | 'major' | 'minor';
export const FLOATING_TAG_KINDS: readonly FloatingTagKind[] = ['latest', 'major', 'minor'];

export type TagPolicy = { readonly floating: readonly FloatingTagKind[] };

export function variantSuffix(name: string): string {
  return name === PRODUCTION_VARIANT ? '' : `-${name}`;
}
