import { KilnError } from '../errors/index.ts';
import type { DecodedApk } from './read-apk.ts';

/**
 * A step an APK reader thread runs on each package right after reading it, while its
 * contents are in that thread's memory: a caller that needs more than the package (the
 * image builder compresses and caches large files there) names a module exporting
 * {@link AfterRead} instead of copying every file to yet another thread. The step runs
 * on the calling thread when the read did (a pool's threads still starting).
 */
export type AfterReadStep = {
  /** URL of a module that exports `afterRead`. */
  readonly module: string;
  /** Handed to `afterRead` as is (it crosses threads: plain data only). */
  readonly options: unknown;
};

/**
 * What an after-read module exports. `transfer` lists buffers of `result` to move, not
 * copy, back to the caller: buffers of the step's own, never the package's contents
 * (those move with the package).
 */
export type AfterRead = (apk: DecodedApk, options: unknown) => AfterReadResult | Promise<AfterReadResult>;
export type AfterReadResult = { readonly result: unknown; readonly transfer?: readonly ArrayBuffer[] };

export async function runAfterRead(apk: DecodedApk, step: AfterReadStep): Promise<AfterReadResult> {
  const mod = (await import(step.module)) as { readonly afterRead?: AfterRead };
  if (typeof mod.afterRead !== 'function') throw new KilnError('USAGE', `${step.module}: exports no afterRead function`);
  return mod.afterRead(apk, step.options);
}
