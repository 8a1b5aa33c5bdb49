import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileRecipe, parseRecipeSource, parseRecipeYaml, recipeVariables, resolvePipelineStep, type PipelineStep } from './index.ts';
import { HELLO, rejectionOf } from './test-fixtures.ts';

/** Pipeline definitions, shaped like melange's built-in ones (written for these tests). */
const PIPELINES: Readonly<Record<string, string>> = {
  'fetch.yaml': `name: Fetch a source archive
needs:
  packages:
    - wget
inputs:
  uri:
    description: The URI to fetch.
    required: true
  expected-sha256:
    description: The expected SHA256.
  strip-components:
    default: 1
pipeline:
  - runs: |
      wget -O src.tar "\${{inputs.uri}}"
      echo "\${{inputs.expected-sha256}}  src.tar" | sha256sum -c
      tar -x --strip-components=\${{inputs.strip-components}} -f src.tar
`,
  'autoconf/configure.yaml': `name: Run autoconf configure script
needs:
  packages:
    - autoconf
    - automake
inputs:
  host:
    default: \${{host.triplet.gnu}}
  opts:
    description: Options for ./configure.
    default: ''
pipeline:
  - runs: ./configure --host=\${{inputs.host}} --prefix=/usr \${{inputs.opts}}
`,
  'autoconf/make.yaml': `name: Run autoconf make
needs:
  packages:
    - make
inputs:
  opts:
    default: ''
pipeline:
  - runs: make -j$(nproc) \${{inputs.opts}}
`,
  'autoconf/make-install.yaml': `name: Run autoconf make install
pipeline:
  - runs: make install DESTDIR="\${{targets.destdir}}"
`,
  'strip.yaml': `name: Strip binaries
needs:
  packages:
    - binutils
pipeline:
  - working-directory: \${{targets.contextdir}}
    runs: find . -type f -exec strip -g {} +
`,
  'split/dev.yaml': `name: Split development files
pipeline:
  - runs: |
      mkdir -p "\${{targets.contextdir}}/usr"
      mv "\${{targets.destdir}}/usr/include" "\${{targets.contextdir}}/usr/"
`,
  'nested/outer.yaml': `name: outer
inputs:
  flavour:
    default: plain
environment:
  OUTER: "1"
pipeline:
  - uses: nested/inner
    with:
      what: \${{inputs.flavour}}-\${{package.version}}
  - if: \${{build.arch}} == 'aarch64'
    runs: echo arm
  - working-directory: sub
    environment:
      INNER: "2"
    pipeline:
      - runs: echo deep
`,
  'nested/inner.yaml': `name: inner
inputs:
  what:
    required: true
pipeline:
  - runs: echo \${{inputs.what}}
`,
  'nested/leaky.yaml': `inputs:
  what:
    default: x
pipeline:
  - uses: nested/peek
    with:
      seen: \${{inputs.what}}
`,
  'nested/peek.yaml': `inputs:
  seen:
    default: ''
pipeline:
  - runs: |
      echo \${{inputs.seen}}
      echo \${{inputs.what}}
`,
  'cycle/a.yaml': `pipeline:
  - uses: cycle/b
`,
  'cycle/b.yaml': `pipeline:
  - uses: cycle/a
`,
  'assert/two.yaml': `pipeline:
  - assertions:
      required-steps: 1
    pipeline:
      - if: \${{build.arch}} == 'x86_64'
        runs: echo x86
      - if: \${{build.arch}} == 'aarch64'
        runs: echo arm
`,
};

let dir = '';
let outside = '';
const recipe = parseRecipeYaml(HELLO, 'hello.yaml');
const x86 = recipeVariables(recipe, { arch: 'x86_64' });
const arm = recipeVariables(recipe, { arch: 'aarch64' });

const uses = (name: string, withArgs: Record<string, string> = {}): PipelineStep => ({
  action: { kind: 'uses', uses: name, with: withArgs },
  environment: {},
  pipeline: [],
  needs: [],
});

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-pipelines-'));
  outside = mkdtempSync(join(tmpdir(), 'kiln-outside-'));
  for (const [name, body] of Object.entries(PIPELINES)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  writeFileSync(join(outside, 'secret.yaml'), 'pipeline:\n  - runs: echo stolen\n');
  symlinkSync(join(outside, 'secret.yaml'), join(dir, 'sneaky.yaml'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('resolvePipelineStep', () => {
  test('expands uses into concrete runs with inputs, defaults and package variables', async () => {
    const r = await resolvePipelineStep(uses('autoconf/configure', { opts: '--disable-nls --with-v=${{package.version}}' }), [dir], { variables: x86 });
    assert.deepEqual(r, {
      steps: [
        {
          name: 'Run autoconf configure script',
          origin: ['autoconf/configure'],
          runs: './configure --host=x86_64-pc-linux-gnu --prefix=/usr --disable-nls --with-v=2.12.1',
          environment: {},
        },
      ],
      needs: ['autoconf', 'automake'],
    });
  });

  test('a default that names a variable follows the architecture', async () => {
    const r = await resolvePipelineStep(uses('autoconf/configure'), dir, { variables: arm });
    assert.equal(r.steps[0]?.runs, './configure --host=aarch64-unknown-linux-gnu --prefix=/usr ');
  });

  test('an empty with: value takes the default, as melange does', async () => {
    const r = await resolvePipelineStep(uses('fetch', { uri: 'https://x/y.tar', 'strip-components': '' }), dir, { variables: x86 });
    assert.match(r.steps[0]?.runs ?? '', /--strip-components=1 /);
  });

  test('an unknown input is an error naming the known ones', async () => {
    const e = await rejectionOf(() => resolvePipelineStep(uses('autoconf/make', { optz: '-k' }), dir, { variables: x86, site: { file: 'hello.yaml', path: ['pipeline', 3] } }));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.equal(e.message, 'hello.yaml: pipeline[3].with.optz: pipeline "autoconf/make" has no input "optz" (its inputs are opts)');
  });

  test('a missing required input is an error', async () => {
    const e = await rejectionOf(() => resolvePipelineStep(uses('fetch', { 'expected-sha256': 'ab'.repeat(32) }), dir, { variables: x86, site: { file: 'hello.yaml', path: ['pipeline', 0] } }));
    assert.equal(e.message, 'hello.yaml: pipeline[0].with: pipeline "fetch" requires input "uri" (The URI to fetch.)');
  });

  test('an expected checksum must have the right length', async () => {
    const e = await rejectionOf(() => resolvePipelineStep(uses('fetch', { uri: 'u', 'expected-sha256': 'abc' }), dir, { variables: x86, site: { file: 'h.yaml', path: ['pipeline', 0] } }));
    assert.equal(e.message, 'h.yaml: pipeline[0].with.expected-sha256: pipeline "fetch" expects 64 hex digits for expected-sha256, found "abc"');
  });

  test('nested uses pass inputs down; if:, working-directory and environment apply', async () => {
    const site = { file: 'r.yaml', path: ['pipeline', 0] };
    const r = await resolvePipelineStep(uses('nested/outer', { flavour: 'spicy' }), dir, { variables: x86, site });
    assert.deepEqual(r.steps, [
      { name: 'outer', origin: ['nested/outer', 'nested/inner'], runs: 'echo spicy-2.12.1', environment: { OUTER: '1' } },
      { origin: ['nested/outer'], runs: 'echo deep', workingDirectory: 'sub', environment: { OUTER: '1', INNER: '2' } },
    ]);
    const a = await resolvePipelineStep(uses('nested/outer'), dir, { variables: arm, site });
    assert.deepEqual(
      a.steps.map((s) => s.runs),
      ['echo plain-2.12.1', 'echo arm', 'echo deep'],
    );
  });

  test("a callee does not see its caller's inputs; the error points into the definition file", async () => {
    const e = await rejectionOf(() => resolvePipelineStep(uses('nested/leaky'), dir, { variables: x86 }));
    assert.equal(e.code, 'PIPELINE_INVALID');
    assert.equal(e.message, `${join(dir, 'nested/peek.yaml')}:5:11: pipeline[0].runs: unknown variable \${{inputs.what}} (inputs exist only inside a pipeline definition that declares them) (line 2 of the text)`);
  });

  test('a cycle of uses is an error, not a hang', async () => {
    const e = await rejectionOf(() => resolvePipelineStep(uses('cycle/a'), dir, { variables: x86, site: { file: 'r.yaml', path: ['pipeline', 1] } }));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.equal(e.message, `${join(dir, 'cycle/b.yaml')}:2:11: pipeline[0].uses: pipeline "cycle/a" uses itself: cycle/a → cycle/b → cycle/a`);
  });

  test('assertions.required-steps counts the nested steps that ran', async () => {
    const r = await resolvePipelineStep(uses('assert/two'), dir, { variables: arm });
    assert.deepEqual(
      r.steps.map((s) => s.runs),
      ['echo arm'],
    );
  });

  test('uses names that escape the search path are refused', async () => {
    for (const bad of ['../outside/secret', '/etc/passwd', 'split/../../x', 'a\\b', 'split//dev', '.hidden/x']) {
      const e = await rejectionOf(() => resolvePipelineStep(uses(bad), dir, { variables: x86, site: { file: 'r.yaml', path: ['pipeline', 0] } }));
      assert.equal(e.code, 'PATH_UNSAFE', bad);
      assert.equal(
        e.message,
        `r.yaml: pipeline[0].uses: uses ${JSON.stringify(bad)} is not a pipeline name; expected path segments such as autoconf/configure, without "..", a leading "/" or backslashes`,
      );
    }
  });

  test('a symbolic link out of the search path is refused', async () => {
    const e = await rejectionOf(() => resolvePipelineStep(uses('sneaky'), dir, { variables: x86, site: { file: 'r.yaml', path: ['pipeline', 0] } }));
    assert.equal(e.code, 'PATH_UNSAFE');
    assert.match(e.message, /^r\.yaml: pipeline\[0\]\.uses: uses "sneaky" resolves to .*secret\.yaml, outside the pipeline directory /);
  });

  test('a pipeline found nowhere names every place looked; the first directory wins', async () => {
    const e = await rejectionOf(() => resolvePipelineStep(uses('go/build'), [dir, outside], { variables: x86, site: { file: 'r.yaml', path: ['pipeline', 0] } }));
    assert.equal(e.message, `r.yaml: pipeline[0].uses: pipeline "go/build" not found (looked for ${join(dir, 'go/build.yaml')}, ${join(outside, 'go/build.yaml')})`);
    const found = await resolvePipelineStep(uses('secret'), [dir, outside], { variables: x86 });
    assert.deepEqual(found.steps.map((s) => s.runs), ['echo stolen']);
  });
});

describe('compileRecipe', () => {
  test('GNU hello for x86_64: steps, subpackages over a range, environment and test', async () => {
    const { recipe: r, source } = parseRecipeSource(HELLO, 'hello.yaml');
    const c = await compileRecipe(r, { arch: 'x86_64', pipelineDirs: [dir], locate: source.locate });
    assert.equal(c.arch, 'x86_64');
    assert.deepEqual(
      c.main.steps.map((s) => [s.origin.join('>'), s.runs.split('\n')[0], s.workingDirectory]),
      [
        ['fetch', 'wget -O src.tar "https://ftp.gnu.org/gnu/hello/hello-2.12.1.tar.gz"', undefined],
        ['autoconf/configure', './configure --host=x86_64-pc-linux-gnu --prefix=/usr --disable-nls', undefined],
        ['autoconf/make', 'make -j$(nproc) ', undefined],
        ['autoconf/make-install', 'make install DESTDIR="/home/build/melange-out/hello"', undefined],
        ['strip', 'find . -type f -exec strip -g {} +', '/home/build/melange-out/hello'],
      ],
    );
    assert.equal(c.main.fullVersion, '2.12.1-r0');
    assert.deepEqual(c.main.dependencies, { runtime: ['libintl=2.12.1'], provides: [], replaces: [], providerPriority: '10' });
    assert.deepEqual(
      c.subpackages.map((s) => [s.name, s.description, s.steps.map((x) => x.runs)]),
      [
        ['hello-dev', 'headers for hello', ['mkdir -p "/home/build/melange-out/hello-dev/usr"\nmv "/home/build/melange-out/hello/usr/include" "/home/build/melange-out/hello-dev/usr/"\n']],
        ['hello-lang-3.10', 'Python-looking key messages', ['mkdir -p "/home/build/melange-out/hello-lang-3.10/usr/share/locale/3.10"\n']],
        ['hello-lang-de', 'German messages', ['mkdir -p "/home/build/melange-out/hello-lang-de/usr/share/locale/de"\n']],
      ],
    );
    assert.deepEqual(c.environment.contents.packages, ['autoconf', 'automake', 'binutils', 'build-base', 'busybox', 'make', 'wget']);
    assert.deepEqual(c.environment.environment, { LANG: 'C.UTF-8', JOBS: '4' });
    assert.deepEqual(c.main.test?.environment.contents.packages, ['coreutils', 'hello']);
    assert.deepEqual(c.main.test?.steps.map((s) => s.runs), ['hello --version | grep 2.12.1']);
  });

  test('GNU hello for aarch64 runs the aarch64-only step, scripts untouched', async () => {
    const c = await compileRecipe(recipe, { arch: 'arm64', pipelineDirs: [dir] });
    assert.equal(c.main.steps.length, 6);
    assert.equal(c.main.steps[5]?.runs, 'echo "arm only ${VAR} $(uname -m) {{ not-a-variable }}"');
  });

  test('a subpackage whose if: is false is skipped and reported', async () => {
    const text = HELLO.replace('  - name: hello-dev\n', `  - name: hello-dev\n    if: \${{build.arch}} == 'aarch64'\n`);
    const c = await compileRecipe(parseRecipeYaml(text, 'h.yaml'), { arch: 'x86_64', pipelineDirs: [dir] });
    assert.deepEqual(c.subpackages.map((s) => s.name), ['hello-lang-3.10', 'hello-lang-de']);
    assert.deepEqual(c.skipped, [{ name: 'hello-dev', reason: "if: ${{build.arch}} == 'aarch64'" }]);
  });

  test('errors from a recipe step carry the line from the recipe', async () => {
    const text = HELLO.replace('      opts: --disable-nls', '      optz: --disable-nls');
    const { recipe: r, source } = parseRecipeSource(text, 'hello.yaml');
    const e = await rejectionOf(() => compileRecipe(r, { arch: 'x86_64', pipelineDirs: [dir], locate: source.locate }));
    assert.equal(e.message, 'hello.yaml:57:13: pipeline[1].with.optz: pipeline "autoconf/configure" has no input "optz" (its inputs are host, opts)');
  });
});
