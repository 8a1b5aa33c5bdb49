import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_YAML_BYTES } from '../yaml/index.ts';
import { parseRecipeYaml } from './index.ts';
import { HELLO, errorOf } from './test-fixtures.ts';

/** HELLO with one line replaced (asserting the line exists, so a test cannot pass vacuously). */
function withLine(from: string, to: string): string {
  assert.ok(HELLO.includes(from), `fixture lacks ${JSON.stringify(from)}`);
  return HELLO.replace(from, to);
}

describe('parseRecipeYaml', () => {
  test('a realistic recipe parses into the documented shape', () => {
    const r = parseRecipeYaml(HELLO, 'hello.yaml');
    assert.equal(r.file, 'hello.yaml');
    assert.deepEqual(
      { ...r.package, copyright: undefined, dependencies: undefined },
      {
        name: 'hello',
        version: '2.12.1',
        epoch: 0,
        description: 'the GNU hello world program',
        url: 'https://www.gnu.org/software/hello/',
        targetArchitecture: ['x86_64', 'aarch64'],
        copyright: undefined,
        dependencies: undefined,
        options: { noProvides: false, noDepends: false, noCommands: false, noVersionedShlibDeps: false },
        annotations: {},
        checks: { disabled: [] },
        cpe: {},
        setcap: [],
      },
    );
    assert.deepEqual(r.package.copyright, [
      { paths: ['*'], attestation: 'Copyright 1992-2022 Free Software Foundation, Inc.', license: 'GPL-3.0-or-later' },
    ]);
    assert.deepEqual(r.package.dependencies, { runtime: ['libintl=${{package.version}}'], provides: [], replaces: [], providerPriority: '10' });
    assert.deepEqual(r.environment.contents.packages, ['build-base', 'busybox']);
    assert.deepEqual(r.environment.contents.repositories, ['https://packages.wolfi.dev/os']);
    assert.deepEqual(r.environment.environment, { LANG: 'C.UTF-8', JOBS: '4' });
    assert.equal(r.pipeline.length, 6);
    assert.deepEqual(r.pipeline[0], {
      action: {
        kind: 'uses',
        uses: 'fetch',
        with: {
          uri: 'https://ftp.gnu.org/gnu/hello/hello-${{package.version}}.tar.gz',
          'expected-sha256': '8d99142afd92576f30b0cd7cb42a8dc6809998bc5d607d88761f512e26c7db20',
        },
      },
      environment: {},
      pipeline: [],
      needs: [],
    });
    assert.deepEqual(r.pipeline[5]?.action, { kind: 'runs', runs: 'echo "arm only ${VAR} $(uname -m) {{ not-a-variable }}"' });
    assert.equal(r.pipeline[5]?.if, '${{build.arch}} == "aarch64" && ${{package.name}} != \'bye\'');
    assert.deepEqual(
      r.subpackages.map((s) => [s.name, s.range, s.description]),
      [
        ['hello-dev', undefined, 'headers for ${{ package.name }}'],
        ['hello-lang-${{range.key}}', 'locales', '${{range.value}} messages'],
      ],
    );
    assert.deepEqual(r.data, [{ name: 'locales', items: { de: 'German', '3.10': 'Python-looking key' } }]);
    assert.deepEqual(r.vars, { major: '2' });
    assert.deepEqual(r.varTransforms, [{ from: '${{package.version}}', match: '^(\\d+)\\.(\\d+)\\.(\\d+)$', replace: '${1}_${2}_$3', to: 'underscored' }]);
    assert.deepEqual(r.update, {
      enabled: true,
      manual: false,
      requireSequential: false,
      shared: false,
      enablePrereleaseTags: false,
      ignoreRegexPatterns: ['rc'],
      versionTransform: [{ match: '_', replace: '.' }],
      github: { identifier: 'gnu/hello', stripPrefix: 'v', tagFilter: 'v2.', useTag: true },
    });
    assert.deepEqual(r.test?.pipeline[0]?.action, { kind: 'runs', runs: 'hello --version | grep ${{package.version}}' });
    assert.deepEqual(r.test?.environment.contents.packages, ['coreutils']);
  });

  test('scalars stay text: version 3.10 is "3.10", epoch 0 is the number 0', () => {
    const r = parseRecipeYaml(withLine('version: 2.12.1', 'version: 3.10'), 'v.yaml');
    assert.equal(r.package.version, '3.10');
    assert.equal(r.package.epoch, 0);
    assert.equal(typeof r.package.epoch, 'number');
    const e7 = parseRecipeYaml(withLine('epoch: 0', 'epoch: 7'), 'v.yaml');
    assert.equal(e7.package.epoch, 7);
  });

  test('booleans are converted where melange types them', () => {
    const r = parseRecipeYaml(withLine('no-commands: false', 'no-commands: true'), 'b.yaml');
    assert.equal(r.package.options.noCommands, true);
    const e = errorOf(() => parseRecipeYaml(withLine('no-commands: false', 'no-commands: maybe'), 'b.yaml'));
    assert.equal(e.message, 'b.yaml:17:18: package.options.no-commands: expected true or false, found "maybe"');
  });

  test('an unknown key is an error at the key', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('  url: https://www.gnu.org/software/hello/', '  homepage: https://www.gnu.org/software/hello/'), 'hello.yaml'));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.equal(e.message, 'hello.yaml:6:3: package.homepage: unknown key "homepage"');
  });

  test('an unknown key in a pipeline step is an error at the key', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('  - uses: strip\n', '  - uses: strip\n    witth: {}\n'), 'hello.yaml'));
    assert.equal(e.message, 'hello.yaml:61:5: pipeline[4].witth: unknown key "witth"');
  });

  test('a wrong type is an error at the value', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('epoch: 0', 'epoch: abc'), 'hello.yaml'));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.equal(e.message, 'hello.yaml:4:10: package.epoch: expected a whole number, found "abc"');
  });

  test('malformed YAML is a recipe error with line and column', () => {
    const e = errorOf(() => parseRecipeYaml('package:\n  name: [hello\n  version: 1\n', 'bad.yaml'));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.match(e.message, /^bad\.yaml:\d+:\d+: malformed YAML: /);
  });

  test('a missing package is reported', () => {
    const e = errorOf(() => parseRecipeYaml('pipeline: []\n', 'empty.yaml'));
    assert.equal(e.message, 'empty.yaml:1:1: package: expected a mapping, found nothing');
  });

  test('input over 1 MiB is refused before parsing', () => {
    const huge = `${HELLO}\n# ${'x'.repeat(MAX_YAML_BYTES)}\n`;
    const e = errorOf(() => parseRecipeYaml(huge, 'huge.yaml'));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.match(e.message, /^huge\.yaml: \d+ bytes; configs larger than 1048576 bytes are refused$/);
  });

  test('an alias bomb is refused', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}]`);
    const bomb = `bomb:\n  ${lines.join('\n  ')}\n${HELLO}`;
    const e = errorOf(() => parseRecipeYaml(bomb, 'bomb.yaml'));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.equal(e.message, 'bomb.yaml: aliases expand to more than 20000 YAML nodes');
  });

  test('a var that uses an undefined var is reported at the var', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('  major: "2"', '  major: "${{vars.minor}}"'), 'hello.yaml'));
    assert.equal(e.message, 'hello.yaml:36:10: vars.major: unknown variable ${{vars.minor}} (no vars: entry or var-transforms to: defines minor)');
  });

  test('an unknown variable is an error naming it and the field', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('      opts: --disable-nls', '      opts: --with-foo=${{vars.foo}}'), 'hello.yaml'));
    assert.equal(e.code, 'RECIPE_INVALID');
    assert.equal(e.message, 'hello.yaml:57:13: pipeline[1].with.opts: unknown variable ${{vars.foo}} (no vars: entry or var-transforms to: defines foo)');
  });

  test('range variables exist only in ranged subpackages; subpkgdir only in subpackages', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('    description: headers for ${{ package.name }}', '    description: ${{range.key}} headers'), 'hello.yaml'));
    assert.equal(e.message, 'hello.yaml:66:18: subpackages[0].description: unknown variable ${{range.key}} (range.key and range.value exist only in a subpackage with range:)');
    const e2 = errorOf(() => parseRecipeYaml(withLine('  - uses: strip\n', '  - runs: ls ${{targets.subpkgdir}}\n'), 'hello.yaml'));
    assert.equal(e2.message, 'hello.yaml:60:11: pipeline[4].runs: unknown variable ${{targets.subpkgdir}} (it exists only in a subpackage)');
  });

  test('vars and var-transforms results are known variables', () => {
    const r = parseRecipeYaml(withLine('      opts: --disable-nls', '      opts: --v=${{vars.major}} --u=${{ vars.underscored }}'), 'hello.yaml');
    assert.deepEqual(r.pipeline[1]?.action, { kind: 'uses', uses: 'autoconf/configure', with: { opts: '--v=${{vars.major}} --u=${{ vars.underscored }}' } });
  });

  test('a malformed if: is reported with its column', () => {
    const e = errorOf(() => parseRecipeYaml(withLine(`  - if: \${{build.arch}} == "aarch64" && \${{package.name}} != 'bye'`, '  - if: ${{build.arch}} = "aarch64"'), 'hello.yaml'));
    assert.equal(e.message, 'hello.yaml:61:9: pipeline[5].if: condition "${{build.arch}} = \\"aarch64\\"": column 17: expected "==" or "!=" but found "= \\"aarch64\\""');
  });

  test('a range naming no data table, a bad regexp and duplicate names are all reported', () => {
    const text = withLine('    range: locales', '    range: languages')
      .replace('    match: ^(\\d+)\\.(\\d+)\\.(\\d+)$', '    match: ^(\\d+')
      .replace('  - name: hello-dev', '  - name: hello');
    const e = errorOf(() => parseRecipeYaml(text, 'hello.yaml'));
    assert.equal(
      e.message,
      [
        'hello.yaml:40:12: var-transforms[0].match: "^(\\\\d+" is not a valid regular expression: /^(\\d+/g: Unterminated group',
        'hello.yaml:73:12: subpackages[1].range: range "languages" names no data: table (tables: locales)',
      ].join('\n'),
    );
    const dup = errorOf(() => parseRecipeYaml(withLine('  - name: hello-dev', '  - name: hello'), 'hello.yaml'));
    assert.equal(dup.message, 'hello.yaml:65:11: subpackages[0].name: "hello" is already the name of the main package');
  });

  test('with: needs a uses:, and uses: and runs: exclude each other', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('  - uses: strip\n', '  - uses: strip\n    runs: echo\n'), 'hello.yaml'));
    assert.equal(e.message, 'hello.yaml:61:11: pipeline[4].runs: a step has either uses or runs, not both (uses is "strip")');
  });

  test('provider-priority must be a whole number after substitution', () => {
    const e = errorOf(() => parseRecipeYaml(withLine('    provider-priority: 10', '    provider-priority: high'), 'hello.yaml'));
    assert.equal(e.message, 'hello.yaml:15:24: package.dependencies.provider-priority: expected a whole number, found "high"');
  });
});
