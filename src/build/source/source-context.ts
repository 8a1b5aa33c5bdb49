import type { DownloadOptions } from './download.ts';
import type { GitOptions } from './run-git.ts';
import type { SourceCache } from './source-cache.ts';

/**
 * What the source steps need from the build: where to write, where the recipe's own
 * files are, the caches, and the policy for reaching the network. The steps run
 * outside the sandbox, before it starts, on the host's network.
 */
export type SourceContext = {
  /** absolute path of the build workspace (the sandbox's /home/build) */
  readonly workspace: string;
  /** the recipe's directory: patches and pinned keys are looked up under it */
  readonly recipeDir: string;
  readonly cache: SourceCache;
  /** where bare git mirrors are kept, e.g. `<state>/git` */
  readonly gitCacheDir: string;
  /**
   * Locations tried before a recipe's own URI, in order: URL prefixes (http, https,
   * file) or absolute directories. A file is looked up by digest (`sha256/<hex>`,
   * the source cache's own layout) and then by its file name.
   */
  readonly mirrors?: readonly string[];
  /** cache and file mirrors only; fail rather than reach the network */
  readonly offline?: boolean;
  readonly download?: DownloadOptions;
  readonly git?: GitOptions;
  /** one line per notable event, for the build log (URLs already redacted) */
  readonly log?: (line: string) => void;
};
