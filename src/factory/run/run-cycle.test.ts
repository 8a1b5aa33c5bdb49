import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateImageSigningKey, parseSigningKey } from '../../attest/index.ts';
import { isKilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { RegistryClient } from '../../oci/index.ts';
import { startRegistry, type RunningRegistry } from '../../registry/index.ts';
import { cycleResults, openDatabase, type KilnDatabase, type Publication as StoredPublication } from '../../store/index.ts';
import { loadCatalog } from '../load-catalog.ts';
import { readImageRepositories, type IndexCache } from './image-repositories.ts';
import { repositoryResolver } from './image-resolver.ts';
import { runCycle } from './run-cycle.ts';
import { toFactoryPublication } from './store-history.ts';
import { createTestFactory, type TestFactory } from './test-factory.ts';

let factory: TestFactory;
let store: KilnDatabase;
let registry: RunningRegistry;
let storage: string;
before(async () => {
  factory = await createTestFactory();
  await factory.add([{ name: 'app', version: '1.1-r0', depends: ['libfoo'] }, { name: 'debug-tools', version: '2.0-r0' }]);
  // a second image on the same config, and a line of the first that only admits 1.0
  await writeFile(join(factory.dir, 'catalog', 'broken.yaml'), 'name: broken\nprimary-package: app\nconfig: app.apko.yaml\nlines:\n  - { name: "1", constraint: "~1" }\n');
  await writeFile(
    join(factory.dir, 'catalog', 'app.yaml'),
    'name: app\nprimary-package: app\nconfig: app.apko.yaml\nvariants: { prod: {}, dev: { add-packages: [debug-tools] } }\nlines:\n  - { name: "1.0", constraint: "~1.0" }\n  - { name: "2", constraint: "~2" }\n',
  );
  store = await openDatabase({ url: 'memory:' });
  storage = await mkdtemp(join(tmpdir(), 'kiln-run-cycle-registry-'));
  registry = await startRegistry({ storageDir: storage, host: '127.0.0.1', port: 0 });
});
after(async () => {
  await registry.close();
  await store.close();
  await rm(storage, { recursive: true, force: true });
  await factory.cleanup();
});

test('the resolver solves the line’s constraint and the variant’s packages, with checksums and arch', async () => {
  const { images } = await loadCatalog(join(factory.dir, 'catalog'));
  const app = images.find((i) => i.name === 'app');
  assert.ok(app);
  const resolve = repositoryResolver(new Map([['app', await readImageRepositories(app)]]));
  const [line10, line2] = app.lines;
  const [prod, dev] = app.variants;
  assert.ok(line10 && line2 && prod && dev);
  const got = resolve({ image: app, line: line10, variant: dev });
  assert.deepEqual(got.map((p) => `${p.name}-${p.version} ${p.arch ?? ''}`), ['app-1.0-r0 x86_64', 'debug-tools-2.0-r0 x86_64', 'libfoo-1.0-r0 x86_64']);
  assert.ok(got.every((p) => /^Q1/.test(p.checksum)));
  assert.deepEqual(resolve({ image: app, line: line10, variant: prod }).map((p) => p.name), ['app', 'libfoo']);
  assert.throws(() => resolve({ image: app, line: line2, variant: prod }), (e) => isKilnError(e) && e.code === 'UNSATISFIABLE');
});

test('images on one repository share its index through the cycle’s cache: read and verified once', async () => {
  const { images } = await loadCatalog(join(factory.dir, 'catalog'));
  const [a, b] = [images.find((i) => i.name === 'app'), images.find((i) => i.name === 'broken')];
  assert.ok(a && b);
  const cache: IndexCache = new Map();
  const [ra, rb] = [await readImageRepositories(a, cache), await readImageRepositories(b, cache)];
  assert.equal(cache.size, 1);
  assert.equal(ra.byArch.get('x86_64')?.[0]?.index, rb.byArch.get('x86_64')?.[0]?.index);
  // without a cache, each call reads its own
  assert.notEqual((await readImageRepositories(a)).byArch.get('x86_64')?.[0]?.index, ra.byArch.get('x86_64')?.[0]?.index);
});

test('a stored publication becomes the factory’s: ISO time, fixed tags only, inputs parsed', () => {
  const stored: StoredPublication = {
    id: 7,
    image: 'app',
    line: '1',
    version: '1.0',
    variant: 'dev',
    digest: `sha256:${'a'.repeat(64)}` as Digest,
    timestampTag: '1.0-dev-202603010200',
    publishedAt: new Date('2026-03-01T02:00:00Z'),
    trigger: { kind: 'schedule' },
    reason: 'new version 1.0',
    inputFingerprint: `sha256:${'b'.repeat(64)}`,
    inputs: { packages: [{ name: 'app', version: '1.0-r0', checksum: 'Q1abc', arch: 'x86_64' }], configDigest: `sha256:${'c'.repeat(64)}`, assemblerVersion: '0.1.0', variant: 'dev' },
    primaryVersion: '1.0-r0',
    previousDigest: null,
    tags: ['1.0-dev', '1.0-dev-202603010200', 'latest-dev', '1-dev'].map((tag) => ({ repository: 'app', tag })),
  };
  const p = toFactoryPublication(stored);
  assert.equal(p.publishedAt, '2026-03-01T02:00:00.000Z');
  assert.deepEqual(p.tags, ['1.0-dev', '1.0-dev-202603010200']);
  assert.equal(p.primaryVersion, '1.0-r0');
  assert.equal(p.inputs?.packages[0]?.checksum, 'Q1abc');
  assert.throws(() => toFactoryPublication({ ...stored, inputs: { packages: 'no' } }), (e) => isKilnError(e) && e.code === 'INPUT_INVALID' && /publication 7/.test(e.message));
});

test('one failed publication is recorded and leaves no tag; the other image versions go on', async () => {
  const { images } = await loadCatalog(join(factory.dir, 'catalog'));
  const key = parseSigningKey(generateImageSigningKey().privatePem, 'test key');
  const results = await runCycle({
    db: store.db,
    catalog: images,
    cycleId: 'cycle-1',
    now: '2026-03-01T02:00:00Z',
    trigger: { kind: 'schedule' },
    assemblerVersion: 'test',
    sourceDateEpoch: 0,
    // an invalid repository name: the registry refuses the upload after the build succeeded
    destinationFor: (image) => ({ destination: { host: registry.host, repository: image === 'broken' ? 'Broken' : image, insecure: false }, recordedRepository: image }),
    signingKey: () => Promise.resolve(key),
    builderId: 'https://kiln.dev/test',
  });
  const summary = results.map((r) => `${r.status} ${r.image}`);
  assert.deepEqual(summary, ['published app:1.0', 'published app:1.0-dev', 'failed app (line 2)', 'failed app (line 2, dev)', 'failed broken:1.1']);
  assert.deepEqual(results.find((r) => r.image === 'app:1.0-dev')?.tags?.slice(0, 1), ['1.0-dev']);
  assert.match(results.find((r) => r.image === 'broken:1.1')?.reason ?? '', /Broken|name/i);
  const client = new RegistryClient({ host: registry.host });
  assert.deepEqual((await client.listTags('app')).filter((t) => !t.startsWith('sha256-')).sort(), ['1', '1-dev', '1.0', '1.0-dev', '1.0-dev-202603010200', '1.0-202603010200', 'latest', 'latest-dev'].sort());
  const recorded = await cycleResults(store.db, 'cycle-1');
  assert.deepEqual(recorded.map((r) => `${r.status} ${r.image}:${r.version} ${r.variant}`), [
    'published app:1.0 prod',
    'published app:1.0 dev',
    'failed app:(line 2) prod',
    'failed app:(line 2) dev',
    'failed broken:1.1 prod',
  ]);
});
