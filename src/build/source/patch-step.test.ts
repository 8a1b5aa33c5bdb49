import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { KilnError } from '../../errors/index.ts';
import { runPatch } from './patch-step.ts';
import { type TestDirs, makeDirs, testContext } from './test-fixtures.ts';

let dirs: TestDirs;
const ORIGINAL = 'one\ntwo\nthree\nfour\nfive\nsix\nseven\n';

const goodPatch = `--- a/src/numbers.txt
+++ b/src/numbers.txt
@@ -1,4 +1,4 @@
 one
-two
+TWO
 three
 four
`;

// the first hunk applies, the second cannot: the tree must stay untouched
const badPatch = `--- a/src/numbers.txt
+++ b/src/numbers.txt
@@ -1,3 +1,3 @@
 one
-two
+2
 three
@@ -5,3 +5,3 @@
 five
-sixty
+60
 seven
`;

beforeEach(async () => {
  await dirs?.cleanup();
  dirs = await makeDirs();
  await mkdir(join(dirs.workspace, 'src'));
  await writeFile(join(dirs.workspace, 'src/numbers.txt'), ORIGINAL);
  await mkdir(join(dirs.recipeDir, 'patches'));
  await writeFile(join(dirs.recipeDir, 'fix.patch'), goodPatch);
  await writeFile(join(dirs.recipeDir, 'patches/bad.patch'), badPatch);
});
after(() => dirs.cleanup());

describe('patch', () => {
  test('applies patches beside the recipe and reports their digests', async () => {
    const r = await runPatch({ patches: 'fix.patch' }, testContext(dirs));
    assert.equal(r.patches[0]?.name, 'fix.patch');
    assert.match(r.patches[0]?.sha256 ?? '', /^sha256:[a-f0-9]{64}$/);
    assert.equal(await readFile(join(dirs.workspace, 'src/numbers.txt'), 'utf8'), ORIGINAL.replace('two', 'TWO'));
    assert.deepEqual(await readdir(join(dirs.workspace, 'src')), ['numbers.txt']);
  });

  test('a patch that does not apply names the patch and the hunk, and changes nothing', async () => {
    await assert.rejects(runPatch({ patches: 'fix.patch patches/bad.patch' }, testContext(dirs)), (e: unknown) => {
      assert.ok(e instanceof KilnError);
      assert.equal(e.code, 'PATCH_FAILED');
      assert.match(e.message, /patches\/bad\.patch does not apply/);
      assert.match(e.message, /Hunk #2 FAILED at 5/);
      assert.match(e.message, /src\/numbers\.txt/);
      return true;
    });
    // fix.patch went in; bad.patch left no trace (no half-applied hunk, no .rej/.orig)
    assert.equal(await readFile(join(dirs.workspace, 'src/numbers.txt'), 'utf8'), ORIGINAL.replace('two', 'TWO'));
    assert.deepEqual(await readdir(join(dirs.workspace, 'src')), ['numbers.txt']);
  });

  test('a series file lists patches relative to itself, with comments and -pN', async () => {
    await writeFile(join(dirs.recipeDir, 'patches/fix0.patch'), goodPatch.replaceAll('a/src/', 'src/').replaceAll('b/src/', 'src/'));
    await writeFile(join(dirs.recipeDir, 'patches/series'), '# upstream fixes\nfix0.patch -p0\n\n');
    const r = await runPatch({ series: 'patches/series' }, testContext(dirs));
    assert.deepEqual(r.patches.map((p) => p.name), ['patches/fix0.patch']);
    assert.equal(await readFile(join(dirs.workspace, 'src/numbers.txt'), 'utf8'), ORIGINAL.replace('two', 'TWO'));
  });

  test('a patch applied twice is an error, not silently reversed', async () => {
    await runPatch({ patches: 'fix.patch' }, testContext(dirs));
    await assert.rejects(runPatch({ patches: 'fix.patch' }, testContext(dirs)), { code: 'PATCH_FAILED' });
    assert.equal(await readFile(join(dirs.workspace, 'src/numbers.txt'), 'utf8'), ORIGINAL.replace('two', 'TWO'));
  });

  test('patch names must stay inside the recipe directory, also through symlinks', async () => {
    await writeFile(join(dirs.root, 'outside.patch'), goodPatch);
    await symlink(join(dirs.root, 'outside.patch'), join(dirs.recipeDir, 'sneaky.patch'));
    await writeFile(join(dirs.recipeDir, 'patches/series'), '../../outside.patch\n');
    const cases: Record<string, string>[] = [{ patches: '../outside.patch' }, { patches: '/etc/passwd' }, { patches: 'sneaky.patch' }, { series: 'patches/series' }];
    for (const raw of cases) {
      await assert.rejects(runPatch(raw, testContext(dirs)), { code: 'PATH_UNSAFE' }, JSON.stringify(raw));
    }
    await assert.rejects(runPatch({ patches: 'missing.patch' }, testContext(dirs)), { code: 'NOT_FOUND' });
    await assert.rejects(runPatch({}, testContext(dirs)), { code: 'PIPELINE_INVALID' });
    assert.equal(await readFile(join(dirs.workspace, 'src/numbers.txt'), 'utf8'), ORIGINAL);
  });

  test('a patch does not write through a symlink in the tree', async () => {
    const outside = join(dirs.root, 'outside-dir');
    await mkdir(outside);
    await writeFile(join(outside, 'numbers.txt'), ORIGINAL);
    await symlink(outside, join(dirs.workspace, 'linked'));
    await writeFile(join(dirs.recipeDir, 'through.patch'), goodPatch.replaceAll('/src/', '/linked/'));
    await assert.rejects(runPatch({ patches: 'through.patch' }, testContext(dirs)), { code: 'PATCH_FAILED' });
    assert.equal(await readFile(join(outside, 'numbers.txt'), 'utf8'), ORIGINAL);
  });
});
