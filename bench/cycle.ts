import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  apkFileName,
  decodeApk,
  encodeApk,
  generateApkSigningKey,
  indexEntryFor,
  parseApkConstraint,
  parseApkVersion,
  writeApkIndex,
  type ApkIndexEntry,
} from '../src/apk/index.ts';
import { resolveImageSigningKey } from '../src/assemble/index.ts';
import { KILN_VERSION } from '../src/build/index.ts';
import { digestOf } from '../src/oci/index.ts';
import { startRegistry } from '../src/registry/index.ts';
import { defaultDatabaseUrl, openDatabase, recordPublication, type Variant } from '../src/store/index.ts';
import { openFactoryNode } from '../src/factory/queue/index.ts';
import { loadCatalog, loadKilnConfig, planCycle, planTags, type CatalogImage, type KilnConfig, type Publication } from '../src/factory/index.ts';
import {
  FACTORY_SOURCE_DATE_EPOCH,
  KILN_FACTORY_BUILDER_ID,
  readImageRepositories,
  repositoryResolver,
  runCycle,
  runFactory,
  storeHistory,
  type FactoryRun,
  type ImageRepositories,
  type IndexCache,
} from '../src/factory/run/index.ts';
import { fmt, median, publish, timed, type Table } from './report.ts';

const IMAGES = 1000;
const LIBS = 4;
const CHANGED = 10;
const ONE_BUILD_RUNS = 3;
const SKIP_GOAL_MS = 10_000;
const ARCH = 'x86_64';
const EPOCH = 1_700_000_000;
const day = (n: number): string => `2026-03-0${n}T02:00:00.000Z`;
const appName = (i: number): string => `app${String(i).padStart(4, '0')}`;

/**
 * Issue 7: a generated catalog of 1,000 image versions (1,000 images, one line, prod),
 * each image's primary package depending on two of a few shared libraries, all in one
 * signed APK repository. The first cycle's 1,000 publications are seeded into the history
 * (not built: a real build each would take minutes) with the fingerprints the planner
 * computes, through the same resolver; then, through runFactory with `--now`: a cycle
 * where nothing changed (goal: 1,000 skips < 10 s), and one where 10 primary packages got
 * a new revision (goal: ≈ 10 builds + the skip cycle). "One build" is runCycle over a
 * one-image catalog with a changed package, in the same run (median of ONE_BUILD_RUNS).
 */
export async function benchCycle(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'kiln-bench-cycle-'));
  try {
    const gen0 = performance.now();
    const factory = await generate(work);
    const generateMs = performance.now() - gen0;
    const config = await loadKilnConfig(factory.configFile);

    const seedMs = await timed(() => seedHistory(config.catalogDir, config.stateDir));

    // One build, measured alone: the first warms the JIT and creates the signing key.
    const builds = await buildSome(config.catalogDir, config.stateDir, factory);
    const oneBuild = median(builds.slice(1));

    const cycle = async (n: number): Promise<{ ms: number; run: FactoryRun }> => {
      let run: FactoryRun | undefined;
      const ms = await timed(async () => {
        run = await runFactory({ config, now: day(n), trigger: { kind: 'schedule' }, env: {} });
      });
      return { ms, run: run! };
    };

    const skip = await cycle(3);
    const skipped = skip.run.results.filter((r) => r.status === 'skipped').length;
    if (skipped !== IMAGES) throw new Error(`bench: the unchanged cycle skipped ${skipped} of ${IMAGES}: ${summary(skip.run)}`);
    const parts = await measureParts(config.catalogDir, config.stateDir);

    await factory.bump(Array.from({ length: CHANGED }, (_, i) => appName(i)));
    const gaps: number[] = [];
    let last = 0;
    let changedRun: FactoryRun | undefined;
    const changedMs = await timed(async () => {
      changedRun = await runFactory({
        config,
        now: day(4),
        trigger: { kind: 'schedule' },
        env: {},
        // time between consecutive builds' results: one build inside the cycle
        onResult: (r) => {
          const t = performance.now();
          if (r.status === 'published' && last > 0) gaps.push(t - last);
          if (r.status === 'published') last = t;
        },
      });
    });
    const published = changedRun!.results.filter((r) => r.status === 'published').length;
    if (published !== CHANGED) throw new Error(`bench: the changed cycle published ${published}, expected ${CHANGED}: ${summary(changedRun!)}`);

    // the same unchanged cycle the way kiln serve runs it: a cycle job on the job queue
    // (PGlite), planned in one pass, no image job since nothing is to be built
    const queued = await queuedSkipCycle(config, day(5));

    const expected = CHANGED * oneBuild + skip.ms;
    const table: Table = {
      title: `cycle: ${IMAGES} image versions (${IMAGES} images × 1 line × prod), ${IMAGES + LIBS + 1} packages in one signed repository`,
      columns: ['step', 'ms', 'per item', 'ratio'],
      rows: [
        ['generate repository + catalog (setup, not a cycle)', fmt.ms(generateMs), '-', '-'],
        [`seed history: ${IMAGES} publications via the planner's fingerprints (setup)`, fmt.ms(seedMs), '-', '-'],
        [`one build (runCycle, 1-image catalog; median of ${ONE_BUILD_RUNS})`, fmt.ms(oneBuild), '-', '-'],
        [`cycle 2: nothing changed (${skipped} skips)`, fmt.ms(skip.ms), `${fmt.rate((skipped / skip.ms) * 1000)} decisions/s`, `${fmt.ratio(skip.ms / SKIP_GOAL_MS)} of 10 s`],
        [`cycle 2 again through the job queue (kiln serve's path)`, fmt.ms(queued), '-', `${fmt.ratio(queued / SKIP_GOAL_MS)} of 10 s`],
        [`cycle 3: ${CHANGED} changed, ${IMAGES - CHANGED} skips`, fmt.ms(changedMs), '-', `${fmt.ratio(changedMs / expected)} of (10 builds + cycle 2)`],
        [`  expected: ${CHANGED} × one build + cycle 2`, fmt.ms(expected), '-', '1.00×'],
        [`  median build inside cycle 3 (gap between results)`, fmt.ms(median(gaps)), '-', fmt.ratio(median(gaps) / oneBuild)],
      ],
    };
    const partsTable: Table = {
      title: `where cycle 2's time goes (the same steps as runCycle, timed one by one)`,
      columns: ['part', 'ms', 'share of cycle 2'],
      rows: parts.map(([name, ms]) => [name, fmt.ms(ms), `${((ms / skip.ms) * 100).toFixed(0)}%`]),
    };
    const biggest = [...parts].sort((a, b) => b[1] - a[1])[0];
    await publish('cycle', [table, partsTable], [
      `skip cycle ${fmt.ms(skip.ms)} ms for ${skipped} decisions (goal < 10 s): ${skip.ms < SKIP_GOAL_MS ? 'met' : 'NOT met'}`,
      `the first cycle's publications were seeded with recordPublication (fingerprints from planCycle over the real resolver), not built`,
      `biggest part of the skip cycle: ${biggest?.[0] ?? '-'}`,
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

type Generated = { readonly configFile: string; bump(names: readonly string[]): Promise<void> };

/** The repository, the catalog and kiln.yaml; bump() adds a new revision of some primary packages and re-signs the index. */
async function generate(dir: string): Promise<Generated> {
  const key = generateApkSigningKey({ bits: 2048 });
  const repo = join(dir, 'repo');
  await mkdir(join(repo, ARCH), { recursive: true });
  const keyFile = join(dir, key.keyName);
  await writeFile(keyFile, key.publicPem);
  const keys = new Map([[key.keyName, key.publicPem]]);
  const entries: ApkIndexEntry[] = [];
  const revision = new Map<string, number>();
  const libsOf = (i: number): string[] => ['libcommon', `lib${i % LIBS}`];
  const add = async (name: string, version: string, depends: readonly string[]): Promise<void> => {
    const encoded = await encodeApk({
      info: {
        name,
        version: parseApkVersion(version),
        arch: ARCH,
        description: `${name} for the cycle bench`,
        url: 'https://example.com/kiln-bench',
        license: 'MIT',
        origin: name,
        buildDate: EPOCH,
        depends: depends.map((d) => parseApkConstraint(d)),
        provides: [],
        replaces: [],
        installIf: [],
        triggers: [],
      },
      files: [{ kind: 'file', path: `usr/share/${name}/version`, mode: 0o644, uid: 0, gid: 0, content: Buffer.from(`${version}\n`) }],
      key,
      sourceDateEpoch: EPOCH,
    });
    await writeFile(join(repo, ARCH, apkFileName(encoded.info)), encoded.bytes);
    entries.push(indexEntryFor(await decodeApk(encoded.bytes, { keys })));
  };
  const writeIndex = () => writeApkIndex(join(repo, ARCH, 'APKINDEX.tar.gz'), { entries, key, sourceDateEpoch: EPOCH, description: 'kiln cycle bench' });
  await add('libcommon', '1.0-r0', []);
  for (let l = 0; l < LIBS; l++) await add(`lib${l}`, '1.0-r0', []);
  const catalog = join(dir, 'catalog');
  await mkdir(catalog);
  for (let i = 0; i < IMAGES; i++) {
    const name = appName(i);
    await add(name, '1.0-r0', libsOf(i));
    revision.set(name, 0);
    await writeFile(
      join(catalog, `${name}.apko.yaml`),
      `contents:\n  repositories: [${JSON.stringify(repo)}]\n  keyring: [${JSON.stringify(keyFile)}]\n  packages: [${name}]\narchs: [${ARCH}]\n`,
    );
    await writeFile(join(catalog, `${name}.yaml`), `name: ${name}\nprimary-package: ${name}\nconfig: ${name}.apko.yaml\nlines:\n  - { name: "1", constraint: "~1" }\n`);
  }
  await writeIndex();
  const configFile = join(dir, 'kiln.yaml');
  await writeFile(configFile, 'state: state\ncatalog: catalog\n');
  return {
    configFile,
    bump: async (names) => {
      for (const name of names) {
        const r = (revision.get(name) ?? 0) + 1;
        revision.set(name, r);
        await add(name, `1.0-r${r}`, libsOf(Number(name.slice(3))));
      }
      await writeIndex();
    },
  };
}

/**
 * The first cycle without building: plan it as runCycle would (same resolver, empty
 * history) and record each planned build as a publication with a made-up digest and the
 * planned fingerprint, inputs and tags, so the next cycle's planner finds it unchanged.
 */
async function seedHistory(catalogDir: string, stateDir: string): Promise<void> {
  const { images } = await loadCatalog(catalogDir);
  const repositories = new Map<string, ImageRepositories>();
  const indexes: IndexCache = new Map();
  for (const image of images) repositories.set(image.name, await readImageRepositories(image, indexes));
  const now = day(1);
  const plan = planCycle({ catalog: images, now, history: [], resolve: repositoryResolver(repositories), assemblerVersion: KILN_VERSION, trigger: { kind: 'schedule' } });
  const store = await openDatabase({ url: defaultDatabaseUrl(stateDir) });
  try {
    for (const item of plan.items) {
      const d = item.decision;
      const image = images.find((i) => i.name === item.image);
      if (d.kind !== 'build' || image === undefined) throw new Error(`bench: seeding ${item.label}: ${d.reason}`);
      const digest = digestOf(Buffer.from(`seed ${item.label}`));
      const variant = item.variant as Variant;
      const tags = planTags([], { image: image.name, line: item.line, variant, primaryVersion: d.primaryVersion, digest, at: now }, image.tags);
      const packages = d.inputs.packages.map((p) => ({ name: p.name, version: p.version, arch: p.arch ?? ARCH, checksum: p.checksum, origin: p.name }));
      await recordPublication(store.db, {
        image: image.name,
        line: item.line,
        version: tags.version,
        variant,
        digest,
        timestampTag: tags.timestampTag,
        publishedAt: new Date(now),
        trigger: { kind: 'schedule' },
        reason: d.reason,
        inputFingerprint: d.fingerprint,
        inputs: d.inputs,
        primaryVersion: d.primaryVersion,
        previousDigest: null,
        packages,
        changes: packages.map((p) => ({ kind: 'added', name: p.name, from: null, to: p.version })),
        tags: tags.tags.map((tag) => ({ repository: image.name, tag })),
      });
    }
  } finally {
    await store.close();
  }
}

/**
 * runCycle over a catalog of one image whose primary package just got a new revision,
 * with the embedded registry and the state's key as runFactory wires them; only runCycle
 * is timed (the catalog, the database and the registry are opened once, outside).
 */
async function buildSome(catalogDir: string, stateDir: string, factory: Generated): Promise<number[]> {
  const { images } = await loadCatalog(catalogDir);
  const store = await openDatabase({ url: defaultDatabaseUrl(stateDir) });
  const registry = await startRegistry({ storageDir: join(stateDir, 'registry'), host: '127.0.0.1', port: 0 });
  try {
    const out: number[] = [];
    for (let r = 0; r <= ONE_BUILD_RUNS; r++) {
      const name = appName(IMAGES - 1 - r);
      const image = images.find((i) => i.name === name);
      if (image === undefined) throw new Error(`bench: no image ${name}`);
      await factory.bump([name]);
      let results: Awaited<ReturnType<typeof runCycle>> = [];
      out.push(
        await timed(async () => {
          results = await runCycle({
            db: store.db,
            catalog: [image],
            cycleId: randomUUID(),
            now: day(2),
            trigger: { kind: 'schedule' },
            assemblerVersion: KILN_VERSION,
            sourceDateEpoch: FACTORY_SOURCE_DATE_EPOCH,
            destinationFor: (repository) => ({ destination: { host: registry.host, repository, insecure: false }, recordedRepository: repository }),
            signingKey: async () => (await resolveImageSigningKey({ env: {}, stateDir })).key,
            builderId: KILN_FACTORY_BUILDER_ID,
          });
        }),
      );
      if (results.length !== 1 || results[0]?.status !== 'published') throw new Error(`bench: building ${name}: ${results.map((x) => `${x.status} ${x.reason}`).join('; ')}`);
    }
    return out;
  } finally {
    await registry.close();
    await store.close();
  }
}

/** The skip cycle's steps one by one (runCycle does them in this order); the rest is recording 1,000 results. */
async function measureParts(catalogDir: string, stateDir: string): Promise<[string, number][]> {
  let images: readonly CatalogImage[] = [];
  const load = await timed(async () => {
    images = (await loadCatalog(catalogDir)).images;
  });
  const repositories = new Map<string, ImageRepositories>();
  const indexes: IndexCache = new Map();
  const read = await timed(async () => {
    for (const image of images) repositories.set(image.name, await readImageRepositories(image, indexes));
  });
  const store = await openDatabase({ url: defaultDatabaseUrl(stateDir) });
  try {
    const history: Publication[] = [];
    const reader = storeHistory(store.db);
    const historyMs = await timed(async () => {
      for (const image of images) history.push(...(await reader.publications(image.name)));
    });
    const resolve = repositoryResolver(repositories);
    const planMs = await timed(() => {
      planCycle({ catalog: images, now: day(3), history, resolve, assemblerVersion: KILN_VERSION, trigger: { kind: 'schedule' } });
      return Promise.resolve();
    });
    return [
      ['loadCatalog (1,000 entries + apko configs)', load],
      ['readImageRepositories (keys per image; the index once, shared)', read],
      ['history: publicationsOf, one query per image', historyMs],
      ['planCycle (solve + fingerprint, 1,000 worlds)', planMs],
    ];
  } finally {
    await store.close();
  }
}

function summary(run: FactoryRun): string {
  return run.results
    .filter((r) => r.status !== 'skipped')
    .slice(0, 5)
    .map((r) => `${r.status} ${r.image}: ${r.reason}`)
    .join('; ');
}

/** One unchanged cycle queued as kiln serve queues it and run by a factory worker on the state's database. */
async function queuedSkipCycle(config: KilnConfig, now: string): Promise<number> {
  const database = await openDatabase({ url: defaultDatabaseUrl(config.stateDir) });
  try {
    const node = await openFactoryNode({ config, database, clock: () => new Date(now), log: () => undefined, env: {}, pollingIntervalSeconds: 0.5 });
    await node.work();
    try {
      return await timed(async () => {
        const id = await node.cycles.trigger({ now, trigger: { kind: 'schedule' } });
        const state = await node.cycles.waitFor(id, { pollMs: 50 });
        if (state.status !== 'done') throw new Error(`bench: the queued cycle ended ${state.status}: ${state.error ?? ''}`);
      });
    } finally {
      await node.stop();
    }
  } finally {
    await database.close();
  }
}
