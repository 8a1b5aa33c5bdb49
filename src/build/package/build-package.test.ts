import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatApkConstraint, generateApkSigningKey, publicPemOf, readApk, readApkIndex, type ApkSigningKey } from '../../apk/index.ts';
import { isKilnError } from '../../errors/index.ts';
import { testEnvironmentCacheDir } from '../environment/test-environment.ts';
import { kilnHelloPackages, writeTestRepo } from '../environment/test-kiln-repo.ts';
import { buildPackage, type BuildProgress, type PackageBuildOptions } from './build-package.ts';
import { planBuild } from './plan-build.ts';
import { GREET_MTIME, greetRecipe, makeGreetTarball, serveFiles, type GreetRecipeOptions } from './testing/greet-fixture.ts';

let work: string;
let state: string;
let key: ApkSigningKey;
let server: Awaited<ReturnType<typeof serveFiles>>;
let sha256: string;

async function writeRecipe(name: string, o: Partial<GreetRecipeOptions> = {}): Promise<string> {
  const path = join(work, 'recipes', name, 'greet.yaml');
  await rm(join(work, 'recipes', name), { recursive: true, force: true });
  await mkdir(join(work, 'recipes', name), { recursive: true });
  await writeFile(path, greetRecipe({ url: server.url, sha256, ...o }));
  return path;
}

function options(recipePath: string, repo: string, stages: BuildProgress[] = []): PackageBuildOptions {
  return { recipePath, repo, stateDir: state, key, environmentCacheDir: testEnvironmentCacheDir(), progress: (e) => stages.push(e) };
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isKilnError(e), `expected a KilnError, got ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail('expected the build to fail');
}

async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

const keys = (): Map<string, string> => new Map([[key.keyName, publicPemOf(key.privatePem)]]);

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-package-build-'));
  state = join(work, 'state');
  const generated = generateApkSigningKey({ bits: 2048 });
  key = { privatePem: generated.privatePem, keyName: generated.keyName };
  const tarball = await makeGreetTarball(join(work, 'upstream'));
  sha256 = tarball.sha256;
  server = await serveFiles(new Map([['/greet-1.0.tar.gz', tarball.bytes], ['/greet-1.1.tar.gz', tarball.bytes]]));
});

after(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('kiln package build', { concurrency: false }, () => {
  test('builds the recipe into signed, split, tested APKs with detected dependencies', async () => {
    const recipe = await writeRecipe('good');
    const repo = join(work, 'repo-a');
    const stages: BuildProgress[] = [];
    const result = await buildPackage(options(recipe, repo, stages));
    assert.deepEqual(result.packages.map((p) => p.name), ['greet', 'greet-dev', 'libgreet', 'greet-doc']);
    assert.deepEqual(result.tested, ['greet']);
    assert.equal(result.sourceDateEpoch, GREET_MTIME, 'derived from the newest file in the release');
    assert.deepEqual([...new Set(stages.map((s) => s.stage))], ['plan', 'environment', 'source', 'build', 'package', 'test', 'environment', 'publish'].filter((s, i, a) => a.indexOf(s) === i));

    const read = async (name: string) => readApk(join(repo, 'x86_64', `${name}-1.0-r0.apk`), { keys: keys() });
    const greet = await read('greet');
    const dev = await read('greet-dev');
    const lib = await read('libgreet');
    const doc = await read('greet-doc');
    const paths = (p: Awaited<ReturnType<typeof read>>) => p.files.filter((f) => f.kind !== 'directory').map((f) => f.path);
    assert.deepEqual(paths(greet), ['usr/bin/greet', 'usr/bin/greet-twice', 'var/lib/db/sbom/greet-1.0-r0.spdx.json']);
    assert.deepEqual(paths(dev), ['usr/include/greet.h', 'usr/lib/libgreet.so', 'var/lib/db/sbom/greet-dev-1.0-r0.spdx.json']);
    assert.deepEqual(paths(lib), ['usr/lib/libgreet.so.1', 'var/lib/db/sbom/libgreet-1.0-r0.spdx.json']);
    assert.deepEqual(paths(doc), ['usr/share/man/man1/greet.1', 'var/lib/db/sbom/greet-doc-1.0-r0.spdx.json']);

    const deps = (p: typeof greet) => p.info.depends.map(formatApkConstraint);
    const provides = (p: typeof greet) => p.info.provides.map(formatApkConstraint);
    assert.ok(deps(greet).includes('so:libgreet.so.1'), deps(greet).join(' '));
    assert.ok(deps(greet).includes('so:libc.so.6'));
    assert.ok(deps(greet).includes('cmd:bash'), 'the script in usr/bin names bash');
    assert.deepEqual(provides(greet), ['cmd:greet-twice=1.0-r0', 'cmd:greet=1.0-r0']);
    assert.deepEqual(provides(lib), ['so:libgreet.so.1=1']);
    assert.ok(!deps(lib).includes('so:libgreet.so.1'), 'a package does not depend on what it provides');
    assert.ok(deps(dev).includes('so:libgreet.so.1'), 'the link-time symlink depends on the library it leads to');
    assert.deepEqual(deps(doc), ['man-db']);

    assert.equal(greet.info.origin, 'greet');
    assert.equal(greet.info.commit, sha256);
    assert.equal(greet.info.buildDate, GREET_MTIME);
    assert.equal(greet.info.license, 'MIT');
    const sbomFile = greet.files.find((f) => f.path.endsWith('.spdx.json'));
    assert.ok(sbomFile?.kind === 'file');
    const sbom = JSON.parse(Buffer.from(sbomFile.content).toString('utf8')) as { packages: { name: string; downloadLocation: string; checksums?: { checksumValue: string }[] }[] };
    const source = sbom.packages.find((p) => p.downloadLocation.endsWith('greet-1.0.tar.gz'));
    assert.equal(source?.checksums?.[0]?.checksumValue, sha256);

    const index = await readApkIndex(result.indexPath, { keys: keys() });
    assert.deepEqual(index.entries.map((e) => `${e.name}-${e.version}`), ['greet-1.0-r0', 'greet-dev-1.0-r0', 'greet-doc-1.0-r0', 'libgreet-1.0-r0']);
    const provenance = JSON.parse(await readFile(join(repo, 'x86_64', 'greet-1.0-r0.provenance.json'), 'utf8')) as { sources: { sha256: string }[]; recipe: { sha256: string }; environment: { packages: unknown[] } };
    assert.equal(provenance.sources[0]?.sha256, `sha256:${sha256}`);
    assert.match(provenance.recipe.sha256, /^[0-9a-f]{64}$/);
    assert.ok(provenance.environment.packages.length > 10);

    // the same recipe again, into another repository: the same bytes
    const repoB = join(work, 'repo-b');
    const again = await buildPackage(options(recipe, repoB));
    for (const p of result.packages) {
      const file = p.file.split('/').pop() ?? '';
      assert.ok((await readFile(join(repo, 'x86_64', file))).equals(await readFile(join(repoB, 'x86_64', file))), `${file} is byte-identical`);
    }
    assert.ok((await readFile(result.indexPath)).equals(await readFile(again.indexPath)), 'the index is byte-identical');
  });

  test('a failing test publishes nothing and keeps the previous version in the index', async () => {
    const repo = join(work, 'repo-a');
    const indexBefore = await readFile(join(repo, 'x86_64', 'APKINDEX.tar.gz'));
    const filesBefore = await listing(join(repo, 'x86_64'));
    const recipe = await writeRecipe('failing-test', { version: '1.1', testRuns: 'greet\nexit 3' });
    const failure = await rejection(buildPackage(options(recipe, repo)));
    assert.equal(failure.code, 'PACKAGE_TEST_FAILED');
    assert.match(failure.message, /test of greet/);
    assert.ok((await readFile(join(repo, 'x86_64', 'APKINDEX.tar.gz'))).equals(indexBefore), 'the index is untouched');
    assert.deepEqual(await listing(join(repo, 'x86_64')), filesBefore);
  });

  test('a step that reaches for the network fails and publishes nothing', async () => {
    const recipe = await writeRecipe('network', { extraRuns: `bash -c 'echo hi > /dev/tcp/127.0.0.1/${server.port}'` });
    const repo = join(work, 'repo-network');
    const seen = server.requests();
    const failure = await rejection(buildPackage(options(recipe, repo)));
    assert.equal(failure.code, 'SANDBOX_FAILED');
    assert.match(failure.message, /dev\/tcp|Network is unreachable|Connection refused/);
    assert.equal(server.requests(), seen, 'the source came from the cache and the sandbox reached nothing');
    assert.deepEqual(await listing(repo), []);
  });

  test('a checksum mismatch stops before the sandbox and publishes nothing', async () => {
    const recipe = await writeRecipe('mismatch');
    await writeFile(recipe, (await readFile(recipe, 'utf8')).replace(sha256, 'f'.repeat(64)));
    const repo = join(work, 'repo-mismatch');
    const stages: BuildProgress[] = [];
    const failure = await rejection(buildPackage(options(recipe, repo, stages)));
    assert.equal(failure.code, 'DIGEST_MISMATCH');
    assert.ok(!stages.some((s) => s.stage === 'build'), 'no sandbox ran');
    assert.deepEqual(await listing(repo), []);
  });

  test('source steps nested where kiln cannot run them are refused before anything runs', async () => {
    const recipe = await writeRecipe('nested');
    const text = (await readFile(recipe, 'utf8')).replace('      - uses: split/dev', `      - uses: fetch\n        with:\n          uri: ${server.url}/greet-1.0.tar.gz\n          expected-sha256: ${sha256}`);
    await writeFile(recipe, text);
    const failure = await rejection(planBuild({ recipePath: recipe, arch: 'x86_64' }));
    assert.equal(failure.code, 'RECIPE_INVALID');
    assert.match(failure.message, /subpackage greet-dev: uses fetch/);
  });

  test("the recipe's own pipelines/ come first on the search path, then --pipeline-dir, then kiln's", async () => {
    const recipe = await writeRecipe('own-pipelines');
    const dir = join(work, 'recipes', 'own-pipelines');
    await mkdir(join(dir, 'pipelines', 'autoconf'), { recursive: true });
    await writeFile(join(dir, 'pipelines', 'autoconf', 'make.yaml'), 'name: the recipe-local make\npipeline:\n  - runs: make\n');
    const extra = join(work, 'extra-pipelines');
    await mkdir(join(extra, 'autoconf'), { recursive: true });
    await writeFile(join(extra, 'autoconf', 'make-install.yaml'), 'name: the extra make-install\npipeline:\n  - runs: make install\n');
    const plan = await planBuild({ recipePath: recipe, arch: 'x86_64', extraPipelineDirs: [extra] });
    assert.deepEqual(
      plan.mainSteps.map((s) => (s.kind === 'source' ? `source:${s.uses}` : s.step.name)),
      ['source:fetch', 'the recipe-local make', 'the extra make-install', 'Strip debugging symbols from ELF files'],
    );
    assert.equal(plan.pipelineDirs[0], join(dir, 'pipelines'));
    assert.ok(!plan.compiled.environment.contents.packages.includes('wget'), "fetch's needs stay out of the environment");
  });

  test("environment packages from kiln's repositories: the recipe's repository and keyring, on Debian's build-essential", async () => {
    const dir = join(work, 'recipes', 'uses-tool');
    await mkdir(dir, { recursive: true });
    const toolKey = generateApkSigningKey({ bits: 2048, prefix: 'tools' });
    await writeTestRepo(join(dir, 'tools'), kilnHelloPackages(), toolKey);
    await writeFile(join(dir, toolKey.keyName), toolKey.publicPem);
    const contents = `  contents:\n    repositories: [./tools]\n    keyring: [./${toolKey.keyName}]\n    packages: [build-essential, kiln-hello]\n`;
    const recipe = join(dir, 'uses-tool.yaml');
    await writeFile(
      recipe,
      `package:\n  name: uses-tool\n  version: "1.0"\n  epoch: 0\n  description: says what a kiln tool says\n  copyright:\n    - license: MIT\n` +
        `environment:\n${contents}` +
        `pipeline:\n  - runs: |\n      mkdir -p "\${{targets.destdir}}/usr/share/uses-tool"\n      kiln-hello > "\${{targets.destdir}}/usr/share/uses-tool/said"\n` +
        `test:\n  environment:\n${contents.replace(/^(?=.)/gm, '  ')}  pipeline:\n    - runs: |\n        kiln-hello | grep -q "hello from kiln"\n        grep -q greetings /usr/share/uses-tool/said\n`,
    );
    const repo = join(work, 'repo-uses-tool');
    const stages: BuildProgress[] = [];
    const result = await buildPackage(options(recipe, repo, stages));
    assert.deepEqual(result.tested, ['uses-tool']);
    const apk = await readApk(join(repo, 'x86_64', 'uses-tool-1.0-r0.apk'), { keys: keys() });
    const said = apk.files.find((f) => f.path === 'usr/share/uses-tool/said');
    assert.ok(said?.kind === 'file');
    assert.equal(Buffer.from(said.content).toString('utf8'), 'greetings\nhello from kiln 1.0-r0\n');
    assert.ok(stages.some((s) => s.stage === 'environment' && /kiln kiln-hello-1\.0-r0 kiln-hello-data-1\.0-r0; debian build-essential/.test(s.message)), stages.map((s) => s.message).join('\n'));

    type Provenance = { environment: { provider: { kind: string }; base?: { provider: { kind: string }; requested: string[] }; packages: { name: string; version: string; origin: string; repository?: string }[]; overwritten?: unknown[] } };
    const provenance = JSON.parse(await readFile(join(repo, 'x86_64', 'uses-tool-1.0-r0.provenance.json'), 'utf8')) as Provenance;
    const env = provenance.environment;
    assert.equal(env.provider.kind, 'apk');
    assert.equal(env.base?.provider.kind, 'debian');
    assert.deepEqual(env.base?.requested, ['build-essential']);
    assert.deepEqual(env.packages.find((p) => p.name === 'kiln-hello'), { name: 'kiln-hello', version: '1.0-r0', arch: 'x86_64', origin: 'kiln', repository: join(dir, 'tools'), checksum: (env.packages.find((p) => p.name === 'kiln-hello') as { checksum?: string }).checksum });
    assert.equal(env.packages.find((p) => p.name === 'make')?.origin, 'debian');
    assert.deepEqual(env.overwritten, [{ path: 'etc/debian_version', by: 'kiln-hello-data', was: 'base-files' }]);
  });
});
