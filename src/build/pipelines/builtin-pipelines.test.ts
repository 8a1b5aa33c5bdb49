import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRecipe, parseRecipeSource } from '../../recipes/index.ts';
import { BUILTIN_PIPELINE_DIR, debianPackagesFor } from '../package/index.ts';

// Every built-in pipeline resolves with melange's inputs, and the usual ones keep the
// build environment at build-essential alone.
const RECIPE = `package:
  name: demo
  version: 1.0.0
  epoch: 0
environment:
  contents:
    packages:
      - build-base
      - busybox
pipeline:
  - uses: autoconf/configure
    with:
      opts: --disable-nls
  - uses: autoconf/make
    with:
      targets: all
  - uses: autoconf/make-install
  - uses: cmake/configure
  - uses: cmake/build
  - uses: cmake/install
  - uses: meson/configure
  - uses: meson/compile
  - uses: meson/install
  - uses: go/build
    with:
      packages: ./cmd/demo
      output: demo
      ldflags: -X main.version=\${{package.version}}
  - uses: strip
subpackages:
  - name: demo-dev
    pipeline:
      - uses: split/dev
  - name: demo-doc
    pipeline:
      - uses: split/manpages
`;

test('the built-in pipelines compile with their melange inputs and substitute the package', async () => {
  const { recipe, source } = parseRecipeSource(RECIPE, 'demo.yaml');
  const compiled = await compileRecipe(recipe, { arch: 'x86_64', pipelineDirs: [BUILTIN_PIPELINE_DIR], locate: source.locate });
  const scripts = compiled.main.steps.map((s) => s.runs).join('\n');
  assert.match(scripts, /--host="x86_64-pc-linux-gnu"/);
  assert.match(scripts, /--disable-nls/);
  assert.match(scripts, /make -C "\." -j"\$\(nproc\)" V=1 {2}all/);
  assert.match(scripts, /DESTDIR="\/home\/build\/melange-out\/demo"/);
  assert.match(scripts, /-X main\.version=1\.0\.0/);
  assert.equal(compiled.main.steps.at(-1)?.workingDirectory, '/home/build/melange-out/demo');
  const dev = compiled.subpackages.find((p) => p.name === 'demo-dev');
  assert.match(dev?.steps[0]?.runs ?? '', /to="\/home\/build\/melange-out\/demo-dev"/);
  assert.deepEqual(compiled.environment.contents.packages, ['autoconf', 'automake', 'binutils', 'build-base', 'busybox', 'cmake', 'go', 'libtool', 'make', 'meson', 'ninja']);
  assert.deepEqual(debianPackagesFor(compiled.environment.contents.packages), ['autoconf', 'automake', 'build-essential', 'cmake', 'golang-go', 'libtool', 'meson', 'ninja-build']);
});

test('make, strip and the split pipelines add nothing to a build-essential environment', async () => {
  const { recipe } = parseRecipeSource(RECIPE.replace(/ {2}- uses: autoconf\/configure[\s\S]*?(?= {2}- uses: strip)/, '  - uses: autoconf/make\n  - uses: autoconf/make-install\n'), 'demo.yaml');
  const compiled = await compileRecipe(recipe, { arch: 'x86_64', pipelineDirs: [BUILTIN_PIPELINE_DIR] });
  assert.deepEqual(debianPackagesFor(compiled.environment.contents.packages), ['build-essential']);
});
