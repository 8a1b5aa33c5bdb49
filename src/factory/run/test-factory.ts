/**
 * A small factory for the `kiln factory run` tests: a signed APK repository that grows
 * from day to day (`app` is the primary package and depends on `libfoo`; data-only
 * packages), an apko config and a catalog entry for image `app` with one line `~1`, and
 * kiln.yaml pointing at a state directory, all in one temp directory.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apkFileName, decodeApk, encodeApk, indexEntryFor, parseApkConstraint, parseApkVersion, writeApkIndex, type ApkIndexEntry } from '../../apk/index.ts';
import { EPOCH, testKeys } from '../../apk/test-fixtures.ts';

export type TestFactory = {
  readonly dir: string;
  readonly configFile: string;
  readonly stateDir: string;
  /** Adds packages (`app` 1.1-r0, `libfoo` 1.0-r1, …) and re-signs the index. */
  add(packages: readonly TestPackage[]): Promise<void>;
  cleanup(): Promise<void>;
};

export type TestPackage = { readonly name: string; readonly version: string; readonly depends?: readonly string[] };

const ARCH = 'x86_64';

export async function createTestFactory(options: { readonly database?: string } = {}): Promise<TestFactory> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-factory-test-'));
  const [key] = testKeys();
  const repo = join(dir, 'repo');
  await mkdir(join(repo, ARCH), { recursive: true });
  const keyFile = join(dir, key.keyName);
  await writeFile(keyFile, key.publicPem);
  const keys = new Map([[key.keyName, key.publicPem]]);
  const entries: ApkIndexEntry[] = [];
  const add = async (packages: readonly TestPackage[]): Promise<void> => {
    for (const p of packages) {
      const encoded = await encodeApk({
        info: {
          name: p.name,
          version: parseApkVersion(p.version),
          arch: ARCH,
          description: `${p.name} for the factory tests`,
          url: 'https://example.com/kiln-tests',
          license: 'MIT',
          origin: p.name,
          buildDate: EPOCH,
          depends: (p.depends ?? []).map((d) => parseApkConstraint(d)),
          provides: [],
          replaces: [],
          installIf: [],
          triggers: [],
        },
        files: [{ kind: 'file', path: `usr/share/${p.name}/version`, mode: 0o644, uid: 0, gid: 0, content: Buffer.from(`${p.version}\n`) }],
        key,
        sourceDateEpoch: EPOCH,
      });
      await writeFile(join(repo, ARCH, apkFileName(encoded.info)), encoded.bytes);
      entries.push(indexEntryFor(await decodeApk(encoded.bytes, { keys })));
    }
    await writeApkIndex(join(repo, ARCH, 'APKINDEX.tar.gz'), { entries, key, sourceDateEpoch: EPOCH, description: 'kiln factory tests' });
  };
  await add([
    { name: 'app', version: '1.0-r0', depends: ['libfoo'] },
    { name: 'libfoo', version: '1.0-r0' },
  ]);
  const catalog = join(dir, 'catalog');
  await mkdir(catalog);
  await writeFile(
    join(catalog, 'app.apko.yaml'),
    `contents:\n  repositories: [${JSON.stringify(repo)}]\n  keyring: [${JSON.stringify(keyFile)}]\n  packages: [app]\narchs: [x86_64]\n`,
  );
  await writeFile(join(catalog, 'app.yaml'), 'name: app\nprimary-package: app\nconfig: app.apko.yaml\nlines:\n  - { name: "1", constraint: "~1" }\n');
  const configFile = join(dir, 'kiln.yaml');
  await writeFile(configFile, `state: state\ncatalog: catalog\n${options.database !== undefined ? `database: ${options.database}\n` : ''}`);
  return { dir, configFile, stateDir: join(dir, 'state'), add, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
