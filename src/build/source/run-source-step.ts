import { type FetchResult, runFetch } from './fetch-step.ts';
import { type GitCheckoutResult, runGitCheckout } from './git-checkout.ts';
import { type PatchResult, runPatch } from './patch-step.ts';
import type { SourceContext } from './source-context.ts';

export type SourceStepResult = FetchResult | GitCheckoutResult | PatchResult;

const RUNNERS = {
  fetch: runFetch,
  'git-checkout': runGitCheckout,
  patch: runPatch,
} satisfies Record<string, (raw: Readonly<Record<string, string>>, ctx: SourceContext, where: string) => Promise<SourceStepResult>>;

export type SourceStepName = keyof typeof RUNNERS;

/** The `uses:` pipelines kiln runs itself, outside the sandbox, before the build. */
export const SOURCE_STEP_NAMES: readonly SourceStepName[] = Object.keys(RUNNERS).sort() as SourceStepName[];

export function isSourceStep(uses: string): uses is SourceStepName {
  return Object.hasOwn(RUNNERS, uses);
}

/** Runs one source step; `where` names it in errors, e.g. `hello.yaml: pipeline[0]`. */
export function runSourceStep(uses: SourceStepName, raw: Readonly<Record<string, string>>, ctx: SourceContext, where: string): Promise<SourceStepResult> {
  return RUNNERS[uses](raw, ctx, where);
}
