import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  apkFileName,
  decodeApk,
  encodeApk,
  indexEntryFor,
  parseApkConstraint,
  parseApkVersion,
  writeApkIndex,
  type ApkFile,
  type ApkIndexEntry,
  type GeneratedApkSigningKey,
} from '../../apk/index.ts';

// Shared by the environment and package build tests (not a test file itself).

export const TEST_REPO_EPOCH = 1_700_000_000;

export type TestApk = {
  readonly name: string;
  readonly version: string;
  readonly files: readonly ApkFile[];
  readonly depends?: readonly string[];
  readonly provides?: readonly string[];
};

const dir = (path: string): ApkFile => ({ kind: 'directory', path, mode: 0o755, uid: 0, gid: 0 });
const file = (path: string, text: string, mode = 0o644): ApkFile => ({ kind: 'file', path, mode, uid: 0, gid: 0, content: Buffer.from(text, 'utf8') });

/**
 * `kiln-hello`: a small tool (a shell script at bin/kiln-hello, so that a merged-/usr base
 * puts it in usr/bin) that prints its version, depending on `kiln-hello-data`, which also
 * replaces a Debian file (etc/debian_version) so that a layered environment has one to report.
 */
export function kilnHelloPackages(version = '1.0-r0', say = `hello from kiln ${version}`): TestApk[] {
  return [
    {
      name: 'kiln-hello',
      version,
      depends: ['kiln-hello-data'],
      provides: [`cmd:kiln-hello=${version}`],
      files: [dir('bin'), file('bin/kiln-hello', `#!/bin/sh\ncat /usr/share/kiln-hello/greeting\necho "${say}"\n`, 0o755)],
    },
    {
      name: 'kiln-hello-data',
      version: '1.0-r0',
      files: [dir('etc'), file('etc/debian_version', 'kiln\n'), dir('usr'), dir('usr/share'), dir('usr/share/kiln-hello'), file('usr/share/kiln-hello/greeting', 'greetings\n')],
    },
  ];
}

/**
 * Writes the packages into `<repo>/<arch>/` and (re)writes the signed index over every
 * package there. `indexKey` signs the index (default: `key`), so a test can make either
 * the index or a package untrusted.
 */
export async function writeTestRepo(repo: string, packages: readonly TestApk[], key: GeneratedApkSigningKey, opts: { readonly arch?: string; readonly indexKey?: GeneratedApkSigningKey } = {}): Promise<void> {
  const arch = opts.arch ?? 'x86_64';
  await mkdir(join(repo, arch), { recursive: true });
  for (const p of packages) {
    const encoded = await encodeApk({
      info: {
        name: p.name,
        version: parseApkVersion(p.version),
        arch,
        description: `${p.name} for the kiln tests`,
        url: 'https://example.com/kiln-tests',
        license: 'MIT',
        origin: p.name,
        buildDate: TEST_REPO_EPOCH,
        depends: (p.depends ?? []).map((d) => parseApkConstraint(d)),
        provides: (p.provides ?? []).map((d) => parseApkConstraint(d)),
        replaces: [],
        installIf: [],
        triggers: [],
      },
      files: p.files,
      key,
      sourceDateEpoch: TEST_REPO_EPOCH,
    });
    await writeFile(join(repo, arch, apkFileName(encoded.info)), encoded.bytes);
  }
  const entries: ApkIndexEntry[] = [];
  for (const name of (await readdir(join(repo, arch))).filter((n) => n.endsWith('.apk')).sort()) {
    // untrusted on purpose: a package signed by another key must still get into the index
    entries.push(indexEntryFor(await decodeApk(await readFile(join(repo, arch, name)), { keys: new Map(), allowUntrusted: true })));
  }
  await writeApkIndex(join(repo, arch, 'APKINDEX.tar.gz'), { entries, key: opts.indexKey ?? key, sourceDateEpoch: TEST_REPO_EPOCH });
}

export async function removeTestRepo(repo: string): Promise<void> {
  await rm(repo, { recursive: true, force: true });
}
