import { lstat, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KilnError, isKilnError } from '../../errors/index.ts';
import { type GitCheckoutInputs, type GitRef, parseGitCheckoutInputs } from './git-checkout-inputs.ts';
import { gitMirrorPath, updateGitMirror } from './git-mirror.ts';
import { mkdirInside } from './mkdir-inside.ts';
import { redactUrl } from './redact-url.ts';
import { type GitOptions, runGit } from './run-git.ts';
import type { SourceContext } from './source-context.ts';

export type GitCheckoutResult = {
  readonly kind: 'git-checkout';
  readonly repository: string;
  readonly ref: GitRef;
  readonly commit: string;
  /** the mirror already had the pinned commit: no network */
  readonly cached: boolean;
};

/**
 * `uses: git-checkout`, outside the sandbox. The repository is kept as a bare mirror
 * under the git cache (fetched only when it lacks what the recipe pins), the commit
 * is resolved and checked against `expected-commit` there, and only that commit is
 * fetched from the mirror into a fresh repository at `destination` and checked out,
 * so the workspace never shares object files with the cache.
 */
export async function runGitCheckout(raw: Readonly<Record<string, string>>, ctx: SourceContext, where = 'git-checkout'): Promise<GitCheckoutResult> {
  const inputs = parseGitCheckoutInputs(raw, where);
  const options: GitOptions = ctx.git ?? {};
  const log = ctx.log ?? (() => {});
  const shown = redactUrl(inputs.repository);

  // A pinned commit the mirror already has needs no network; anything else does.
  const existed = await stat(gitMirrorPath(ctx.gitCacheDir, inputs.repository)).then(() => true, () => false);
  let commit: string | undefined;
  if (existed && inputs.expectedCommit !== undefined) {
    commit = await resolvePinned(gitMirrorPath(ctx.gitCacheDir, inputs.repository), inputs, options).catch(() => undefined);
  }
  const cached = commit !== undefined;
  if (cached) log(`git-checkout: ${inputs.expectedCommit} found in the mirror of ${shown}`);
  else if (ctx.offline) throw new KilnError('GIT_FAILED', `${where}: the git cache lacks what the recipe pins from ${shown}, and the build is offline`);
  else log(`git-checkout: ${existed ? 'updating' : 'creating'} the mirror of ${shown}`);
  const mirror = await updateGitMirror(ctx.gitCacheDir, inputs.repository, !cached, options);
  commit ??= await resolvePinned(mirror, inputs, options);

  const dest = await mkdirInside(ctx.workspace, inputs.destination, `${where}.with.destination`);
  // A .git planted by an earlier step (a tarball can carry one) could hold config
  // that makes git run commands (core.fsmonitor, hooks) out here, outside the sandbox.
  if ((await lstat(join(dest, '.git')).catch(() => undefined)) !== undefined) {
    throw new KilnError('PATH_UNSAFE', `${where}: ${inputs.destination}/.git already exists; check out into an empty or fresh destination`);
  }
  // The mirror is ours; upload-pack must be allowed to serve a bare commit id.
  const local = { ...options, protocols: ['file'] };
  await runGit(['init', '--quiet', dest], local);
  const refspecs = [commit, ...(inputs.ref.kind === 'tag' ? [`+refs/tags/${inputs.ref.name}:refs/tags/${inputs.ref.name}`] : [])];
  const depth = inputs.depth !== undefined ? [`--depth=${inputs.depth}`] : [];
  await runGit(['-c', 'uploadpack.allowAnySHA1InWant=true', '-C', dest, 'fetch', '--quiet', '--no-tags', ...depth, mirror, ...refspecs], local);
  await runGit(['-C', dest, 'checkout', '--quiet', '--detach', commit], local);
  await runGit(['-C', dest, 'remote', 'add', 'origin', inputs.repository], local);
  await runGit(['-C', dest, 'config', 'user.name', 'kiln build'], local);
  await runGit(['-C', dest, 'config', 'user.email', 'build@kiln.invalid'], local);
  const head = (await runGit(['-C', dest, 'rev-parse', '--verify', 'HEAD^{commit}'], local)).stdout.trim();
  if (head !== commit) throw new KilnError('COMMIT_MISMATCH', `${where}: checked out ${head} in ${dest}, expected ${commit}`);
  log(`git-checkout: ${shown} at ${commit} in ${inputs.destination}`);
  return { kind: 'git-checkout', repository: inputs.repository, ref: inputs.ref, commit, cached };
}

/**
 * The commit to check out, from the mirror, checked against the recipe's pin:
 * a tag must point at expected-commit; a branch must contain it (or have it as its
 * tip with expected-commit-is-branch-tip); without a pin, the ref's tip.
 */
async function resolvePinned(mirror: string, inputs: GitCheckoutInputs, options: GitOptions): Promise<string> {
  const git = (...args: string[]) => runGit(['-C', mirror, ...args], { ...options, protocols: ['file'] }).then((r) => r.stdout.trim());
  const refPath = inputs.ref.kind === 'tag' ? `refs/tags/${inputs.ref.name}` : inputs.ref.kind === 'branch' ? `refs/heads/${inputs.ref.name}` : 'refs/kiln/remote-head';
  const what = inputs.ref.kind === 'head' ? 'HEAD' : `${inputs.ref.kind} ${inputs.ref.name}`;
  let tip: string;
  try {
    tip = await git('rev-parse', '--verify', '--quiet', `${refPath}^{commit}`);
  } catch (e) {
    throw new KilnError('GIT_FAILED', `${redactUrl(inputs.repository)} has no ${what}`, { cause: e });
  }
  const expected = inputs.expectedCommit;
  if (expected === undefined || expected === tip) return tip;
  if (inputs.ref.kind === 'tag' || inputs.expectedIsBranchTip) {
    throw new KilnError('COMMIT_MISMATCH', `${what} of ${redactUrl(inputs.repository)} is commit ${tip}, but the recipe expects ${expected}`);
  }
  try {
    await git('merge-base', '--is-ancestor', expected, tip);
  } catch (e) {
    if (isKilnError(e)) {
      throw new KilnError('COMMIT_MISMATCH', `expected-commit ${expected} is not on ${what} of ${redactUrl(inputs.repository)} (tip ${tip})`, { cause: e });
    }
    throw e;
  }
  return expected;
}
