import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { KilnError } from '../../errors/index.ts';
import { runGitCheckout } from './git-checkout.ts';
import { type TestDirs, makeDirs, testContext } from './test-fixtures.ts';

let dirs: TestDirs;
let repoUrl: string;
let bare: string;
const commits: string[] = [];

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'],
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'Upstream',
      GIT_AUTHOR_EMAIL: 'up@example.org',
      GIT_COMMITTER_NAME: 'Upstream',
      GIT_COMMITTER_EMAIL: 'up@example.org',
      GIT_AUTHOR_DATE: '@1700000000 +0000',
      GIT_COMMITTER_DATE: '@1700000000 +0000',
    },
  });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

before(async () => {
  dirs = await makeDirs();
  const work = join(dirs.root, 'upstream-work');
  bare = join(dirs.root, 'upstream.git');
  await mkdir(work);
  git(work, 'init', '-q', '-b', 'main');
  for (const v of ['1.0', '1.1', '1.2']) {
    await writeFile(join(work, 'VERSION'), `${v}\n`);
    git(work, 'add', 'VERSION');
    git(work, 'commit', '-q', '-m', `release ${v}`);
    git(work, 'tag', `v${v}`);
    commits.push(git(work, 'rev-parse', 'HEAD'));
  }
  git(dirs.root, 'clone', '-q', '--bare', work, bare);
  repoUrl = pathToFileURL(bare).toString();
});
after(() => dirs.cleanup());

async function workspace(name: string): Promise<TestDirs> {
  const ws = join(dirs.root, name);
  await mkdir(ws);
  return { ...dirs, workspace: ws };
}

describe('git-checkout', () => {
  test('checks out a tag whose commit matches expected-commit', async () => {
    const d = await workspace('ws-tag');
    const r = await runGitCheckout({ repository: repoUrl, tag: 'v1.1', 'expected-commit': commits[1]! }, testContext(d));
    assert.equal(r.commit, commits[1]);
    assert.equal(r.cached, false);
    assert.equal(await readFile(join(d.workspace, 'VERSION'), 'utf8'), '1.1\n');
    assert.equal(git(d.workspace, 'rev-parse', 'HEAD'), commits[1]);
    // the tag is there for `git describe`
    assert.equal(git(d.workspace, 'describe', '--tags'), 'v1.1');
  });

  test('a tag that points elsewhere is COMMIT_MISMATCH and nothing is checked out', async () => {
    const d = await workspace('ws-mismatch');
    await assert.rejects(runGitCheckout({ repository: repoUrl, tag: 'v1.2', 'expected-commit': commits[0]! }, testContext(d)), (e: unknown) => {
      assert.ok(e instanceof KilnError);
      assert.equal(e.code, 'COMMIT_MISMATCH');
      assert.match(e.message, new RegExp(`tag v1.2 of .* is commit ${commits[2]}, but the recipe expects ${commits[0]}`));
      return true;
    });
    await assert.rejects(readFile(join(d.workspace, 'VERSION')));
  });

  test('a pinned commit already mirrored needs no network: works with the upstream gone', async () => {
    const d = await workspace('ws-cached');
    await rename(bare, `${bare}.away`);
    try {
      const r = await runGitCheckout({ repository: repoUrl, tag: 'v1.0', 'expected-commit': commits[0]!, destination: 'src' }, testContext(d, { offline: true }));
      assert.equal(r.cached, true);
      assert.equal(await readFile(join(d.workspace, 'src/VERSION'), 'utf8'), '1.0\n');
    } finally {
      await rename(`${bare}.away`, bare);
    }
  });

  test('a branch with an older expected-commit checks out that commit', async () => {
    const d = await workspace('ws-branch');
    const r = await runGitCheckout({ repository: repoUrl, branch: 'main', 'expected-commit': commits[0]! }, testContext(d));
    assert.equal(r.commit, commits[0]);
    assert.equal(await readFile(join(d.workspace, 'VERSION'), 'utf8'), '1.0\n');
    await assert.rejects(
      runGitCheckout({ repository: repoUrl, branch: 'main', 'expected-commit': commits[0]!, 'expected-commit-is-branch-tip': 'true', destination: 'tip' }, testContext(d)),
      { code: 'COMMIT_MISMATCH' },
    );
    await assert.rejects(runGitCheckout({ repository: repoUrl, branch: 'main', 'expected-commit': 'f'.repeat(40), destination: 'nope' }, testContext(d)), {
      code: 'COMMIT_MISMATCH',
    });
  });

  test('the remote HEAD without a pin', async () => {
    const d = await workspace('ws-head');
    const r = await runGitCheckout({ repository: repoUrl }, testContext(d));
    assert.equal(r.commit, commits[2]);
  });

  test('inputs: a tag needs expected-commit; file:// needs the protocol allowed; escaping destination refused', async () => {
    const d = await workspace('ws-inputs');
    await assert.rejects(runGitCheckout({ repository: repoUrl, tag: 'v1.0' }, testContext(d)), { code: 'PIPELINE_INVALID', message: /expected-commit/ });
    await assert.rejects(runGitCheckout({ repository: repoUrl, tag: 'v1.0', branch: 'main', 'expected-commit': commits[0]! }, testContext(d)), {
      code: 'PIPELINE_INVALID',
    });
    await assert.rejects(runGitCheckout({ repository: '--upload-pack=touch /tmp/x', 'expected-commit': commits[0]! }, testContext(d)), { code: 'PIPELINE_INVALID' });
    await assert.rejects(
      runGitCheckout({ repository: repoUrl, tag: 'v1.0', 'expected-commit': commits[0]!, destination: '../x' }, testContext(d)),
      { code: 'PATH_UNSAFE' },
    );
    // a .git planted by an earlier step (e.g. inside a tarball) is refused
    await mkdir(join(d.workspace, 'planted/.git'), { recursive: true });
    await assert.rejects(
      runGitCheckout({ repository: repoUrl, tag: 'v1.0', 'expected-commit': commits[0]!, destination: 'planted' }, testContext(d)),
      { code: 'PATH_UNSAFE', message: /\.git already exists/ },
    );
    const other = await makeDirs();
    try {
      await assert.rejects(runGitCheckout({ repository: repoUrl, tag: 'v1.0', 'expected-commit': commits[0]! }, testContext(other, { git: {} })), {
        code: 'GIT_FAILED',
        message: /transport 'file' not allowed/,
      });
    } finally {
      await other.cleanup();
    }
  });
});
