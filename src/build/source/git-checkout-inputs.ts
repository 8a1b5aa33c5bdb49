import { z } from 'zod';
import { parseStepInputs, boolText } from './step-inputs.ts';

const commitHex = z
  .string()
  .regex(/^([a-fA-F0-9]{40}|[a-fA-F0-9]{64})$/, 'expected a full commit hash (40 or 64 hex digits)')
  .transform((s) => s.toLowerCase());

/** A ref name git will accept, and nothing that could be read as an option. */
const refName = z
  .string()
  .min(1)
  .refine((s) => !s.startsWith('-') && !/[\s~^:?*[\\\0]|\.\.|@\{/.test(s), 'expected a branch or tag name');

const unsupported = (what: string) => z.string().refine(() => false, `${what} is not supported by kiln's git-checkout`).optional();

/**
 * `uses: git-checkout` inputs: melange's pipelines/git-checkout.yaml. kiln requires
 * `expected-commit` with `tag` (a tag can be moved; the commit cannot), and verifies
 * the checked-out commit in every case. melange's retry and SBOM hints are accepted
 * and ignored; cherry-picks, sparse checkouts and submodules are refused.
 */
const GitCheckoutWith = z
  .object({
    repository: z.string().min(1).refine((s) => !s.startsWith('-'), 'expected a repository URL'),
    destination: z.string().min(1).default('.'),
    depth: z
      .string()
      .regex(/^(-1|[1-9][0-9]{0,8}|unset)$/, 'expected a positive number, -1 (full history) or unset')
      .optional(),
    branch: refName.optional(),
    tag: refName.optional(),
    'expected-commit': commitHex.optional(),
    'expected-commit-is-branch-tip': boolText.default(false),
    'recurse-submodules': z.enum(['false'], { error: 'submodules are not supported by kiln yet' }).optional(),
    'shallow-submodules': z.string().optional(),
    'submodule-jobs': z.string().optional(),
    'cherry-picks': unsupported('cherry-picks'),
    'sparse-paths': unsupported('sparse-paths'),
    'type-hint': z.string().optional(),
    'max-retries': z.string().optional(),
    'initial-backoff': z.string().optional(),
    'max-backoff': z.string().optional(),
    reason: z.string().optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.branch !== undefined && w.tag !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tag'], message: `branch (${w.branch}) and tag (${w.tag}) are mutually exclusive` });
    }
    if (w.tag !== undefined && w['expected-commit'] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['expected-commit'], message: `kiln requires expected-commit with tag ${w.tag}: a tag can be moved` });
    }
    if (w['expected-commit-is-branch-tip'] && (w.branch === undefined || w['expected-commit'] === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['expected-commit-is-branch-tip'], message: 'needs branch and expected-commit' });
    }
  });

export type GitRef = { readonly kind: 'tag'; readonly name: string } | { readonly kind: 'branch'; readonly name: string } | { readonly kind: 'head' };

export type GitCheckoutInputs = {
  readonly repository: string;
  readonly destination: string;
  readonly ref: GitRef;
  readonly expectedCommit: string | undefined;
  readonly expectedIsBranchTip: boolean;
  /** undefined: full history */
  readonly depth: number | undefined;
};

export function parseGitCheckoutInputs(raw: Readonly<Record<string, string>>, where = 'git-checkout'): GitCheckoutInputs {
  const w = parseStepInputs(GitCheckoutWith, raw, where);
  const ref: GitRef = w.tag !== undefined ? { kind: 'tag', name: w.tag } : w.branch !== undefined ? { kind: 'branch', name: w.branch } : { kind: 'head' };
  // melange: shallow by default, but the whole branch when a commit on it is pinned
  const unset = w.depth === undefined || w.depth === 'unset';
  const depth = unset ? (ref.kind === 'branch' && w['expected-commit'] !== undefined && !w['expected-commit-is-branch-tip'] ? undefined : 1) : w.depth === '-1' ? undefined : Number(w.depth);
  return {
    repository: w.repository,
    destination: w.destination,
    ref,
    expectedCommit: w['expected-commit'],
    expectedIsBranchTip: w['expected-commit-is-branch-tip'],
    depth,
  };
}
