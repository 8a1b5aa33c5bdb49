import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readApkIndex, indexPathFor } from '../../apk/index.ts';
import { loadSigningKey } from '../../build/index.ts';
import { testEnvironmentCacheDir } from '../../build/environment/test-environment.ts';
import { serveFiles } from '../../build/package/testing/greet-fixture.ts';
import { parseKilnConfig, type KilnConfig } from '../kiln-config.ts';
import { runFactory } from '../run/index.ts';
import type { PackageStageResult } from './package-stage-result.ts';
import { runPackageStage } from './run-package-stage.ts';

// The stage with real components: kiln's sandboxed build (the shared test environment,
// build-essential), a signed repository, and the factory's cycle on top. Only the
// internet is faked: the recipe's upstream is a local HTTP server.

let work: string;
let server: Awaited<ReturnType<typeof serveFiles>>;
let sha256: string;
const env = { ...process.env, KILN_ENV_CACHE: testEnvironmentCacheDir() };

const recipe = (name: string, digest: string): string => `package:
  name: ${name}
  version: "1.0"
  epoch: 0
  description: a note, packaged
  copyright:
    - license: MIT
environment:
  contents:
    packages:
      - build-essential
pipeline:
  - uses: fetch
    with:
      uri: ${server.url}/note-\${{package.version}}.tar.gz
      expected-sha256: ${digest}
  - runs: |
      install -Dm644 note.txt "\${{targets.destdir}}/usr/share/${name}/note.txt"
`;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-package-stage-'));
  const src = join(work, 'upstream', 'note-1.0');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'note.txt'), 'kiln builds this from source\n');
  const tarball = join(work, 'upstream', 'note-1.0.tar.gz');
  execFileSync('tar', ['--sort=name', '--mtime=@1700000000', '--owner=0', '--group=0', '-czf', tarball, '-C', join(work, 'upstream'), 'note-1.0']);
  const bytes = await readFile(tarball);
  sha256 = createHash('sha256').update(bytes).digest('hex');
  server = await serveFiles(new Map([['/note-1.0.tar.gz', bytes]]));

  await mkdir(join(work, 'recipes'));
  await writeFile(join(work, 'recipes', 'note.yaml'), recipe('note', sha256));
  // upstream serves other bytes than the recipe pins: this one fails, alone
  await writeFile(join(work, 'recipes', 'tampered.yaml'), recipe('tampered', '0'.repeat(64)));
  await writeFile(join(work, 'recipes', 'unparsable.yaml'), 'package:\n  name: [nope\n');
  await mkdir(join(work, 'catalog'));
  for (const name of ['note', 'tampered']) {
    await writeFile(join(work, 'catalog', `${name}.apko.yaml`), `contents:\n  packages: [${name}]\narchs: [x86_64]\n`);
    await writeFile(join(work, 'catalog', `${name}.yaml`), `name: ${name}\nprimary-package: ${name}\nconfig: ${name}.apko.yaml\nlines:\n  - { name: "1", constraint: "~1" }\n`);
  }
  // no repository and no key in the image configs: the factory adds the stage's
  await writeFile(join(work, 'kiln.yaml'), 'state: state\ncatalog: catalog\npackages:\n  recipes: recipes\n');
});
after(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function config(): KilnConfig & { packages: NonNullable<KilnConfig['packages']> } {
  const c = parseKilnConfig('state: state\ncatalog: catalog\npackages:\n  recipes: recipes\n', join(work, 'kiln.yaml'));
  assert.ok(c.packages);
  return { ...c, packages: c.packages };
}

const summary = (results: readonly PackageStageResult[]): string[] => results.map((r) => `${r.name} ${r.status}`);

describe('the package stage', () => {
  test('builds a missing recipe from source, finds it present the next time; a broken recipe fails alone', { timeout: 10 * 60_000 }, async () => {
    const seen: PackageStageResult[] = [];
    const first = await runPackageStage({ config: config(), env, onResult: (r) => seen.push(r) });
    assert.deepEqual(summary(first.results), ['recipes/unparsable.yaml failed', 'note built', 'tampered failed'].map((s) => s.replace('recipes/', join(work, 'recipes') + '/')));
    assert.deepEqual(seen, first.results, 'each result is told as it comes');
    const [unparsable, note, tampered] = first.results;
    assert.match(unparsable?.reason ?? '', /^RECIPE_INVALID: .*unparsable\.yaml:\d+:\d+: malformed YAML/);
    assert.deepEqual(note?.packages, ['note-1.0-r0']);
    assert.match(tampered?.reason ?? '', /^DIGEST_MISMATCH: .*expected sha256:0{64}, found sha256:/);

    // the repository is signed with the state's key, generated on first use, and the public key beside it
    assert.equal(first.repository.dir, join(work, 'state', 'repo'));
    const key = await loadSigningKey(join(work, 'state', 'keys', first.repository.keyFile.split('/').pop()?.replace(/\.pub$/, '') ?? ''));
    const index = await readApkIndex(indexPathFor(first.repository.dir, 'x86_64'), { keys: new Map([[key.keyName, await readFile(first.repository.keyFile, 'utf8')]]) });
    assert.deepEqual(index.entries.map((e) => `${e.name}-${e.version}`), ['note-1.0-r0']);

    const requests = server.requests();
    const second = await runPackageStage({ config: config(), env });
    assert.deepEqual(summary(second.results).slice(1), ['note present', 'tampered failed']);
    assert.match(second.results[1]?.reason ?? '', /note-1\.0-r0 is in /);
    assert.equal(server.requests(), requests + 1, 'only the tampered recipe asked upstream again');
  });

  test('the cycle resolves against the stage repository; an image whose package failed fails with the reason', { timeout: 5 * 60_000 }, async () => {
    const packageResults: PackageStageResult[] = [];
    const run = await runFactory({ config: config(), now: '2026-03-02T00:00:00Z', trigger: { kind: 'manual', by: 'test' }, env, onPackageResult: (r) => packageResults.push(r), onPackageLog: () => undefined });
    assert.deepEqual(summary(packageResults).slice(1), ['note present', 'tampered failed'], 'the first test built note');
    const byImage = new Map(run.results.map((r) => [r.image.split(/[: ]/)[0], r]));
    assert.equal(byImage.get('note')?.status, 'published', JSON.stringify(byImage.get('note')));
    assert.equal(byImage.get('tampered')?.status, 'failed');
    assert.match(byImage.get('tampered')?.reason ?? '', /no package provides tampered \(searched .*state\/repo\)/);
    assert.deepEqual(byImage.get('note')?.tags, ['1.0', '1.0-202603020000', 'latest', '1']);
  });
});
