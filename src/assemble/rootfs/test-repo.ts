/**
 * A small signed APK repository generated for the rootfs and `kiln image build` tests:
 *   hello 1.0-r0      a static binary (usr/bin/hello) printing a message and its uid:gid;
 *                     depends on hello-data and so:libgreet.so.1
 *   hello-data 1.0-r0 data only: a message file, a 0750 directory owned by 65532
 *   libgreet 1.0-r0   provides so:libgreet.so.1 and cmd:greet; a symlink and a hard link
 *   tool 1.0-r0 / tool 2.0-r0   two versions of one package
 *   clash 1.0-r0      puts different bytes at usr/bin/hello without replacing hello
 *   hello-patch 1.0-r0 replaces hello and overwrites usr/share/hello/message.txt
 *   refuses-hello 1.0-r0 conflicts with hello (`!hello`)
 * and an aarch64 index with the two versions of tool only (for multi-arch builds).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  apkFileName,
  encodeApk,
  generateApkSigningKey,
  indexEntryFor,
  decodeApk,
  parseApkConstraint,
  parseApkVersion,
  writeApkIndex,
  type ApkFile,
  type ApkIndexEntry,
  type GeneratedApkSigningKey,
  type WriteApkInput,
} from '../../apk/index.ts';

const run = promisify(execFile);
export const TEST_EPOCH = 1_700_000_000;
export const MESSAGE = 'hello from a kiln image';
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

const HELLO_C = `#include <stdio.h>
#include <unistd.h>
int main(void) {
  FILE *f = fopen("/usr/share/hello/message.txt", "r");
  char buf[256] = "(no message file)";
  if (f) { size_t n = fread(buf, 1, sizeof buf - 1, f); buf[n] = 0; fclose(f); }
  printf("%s uid=%d gid=%d\\n", buf, (int)getuid(), (int)getgid());
  return 0;
}
`;

export type TestRepo = {
  readonly dir: string;
  readonly key: GeneratedApkSigningKey;
  readonly keyFile: string;
  /** Another key's public half: an index signed by it is "signed by an unknown key". */
  readonly otherKey: GeneratedApkSigningKey;
  /** Whether usr/bin/hello is a real static binary (gcc -static worked). */
  readonly staticBinary: boolean;
  readonly skipReason?: string;
  /** Adds packages and re-signs the index (for "a newer version appeared"). */
  add(inputs: readonly PackageSpec[]): Promise<void>;
  /** Writes a raw package file into the repository under the name the index expects. */
  overwrite(name: string, version: string, bytes: Uint8Array): Promise<void>;
  /** The index entries, as written. */
  entries(): readonly ApkIndexEntry[];
  cleanup(): Promise<void>;
};

export type PackageSpec = {
  readonly name: string;
  readonly version: string;
  readonly files: readonly ApkFile[];
  readonly depends?: readonly string[];
  readonly provides?: readonly string[];
  readonly replaces?: readonly string[];
};

export const ARCH = 'x86_64';

/**
 * The image config the tests build: `packages`, run as nonroot 65532, then `extra`
 * YAML (paths:, archs: …) appended as written.
 */
export function testImageConfig(packages: readonly string[], extra = ''): string {
  return `contents:
  packages: [${packages.join(', ')}]
entrypoint:
  command: /usr/bin/hello
accounts:
  run-as: nonroot
  users:
    - username: nonroot
      uid: 65532
      gid: 65532
  groups:
    - groupname: nonroot
      gid: 65532
${extra}`;
}

/** The config's `paths:` and `archs:` lines the CLI tests add. */
export const DATA_DIR_AND_ARCH = `paths:
  - { path: /data, type: directory, uid: 65532, gid: 65532, permissions: 0o700 }
archs: [x86_64]
`;

async function compileHello(work: string): Promise<{ binary: Uint8Array; ok: boolean; reason?: string }> {
  const src = join(work, 'hello.c');
  await writeFile(src, HELLO_C);
  try {
    await run('gcc', ['-static', '-Os', '-s', '-o', join(work, 'hello'), src]);
    return { binary: await readFile(join(work, 'hello')), ok: true };
  } catch (e) {
    return { binary: text('#!/bin/false\n'), ok: false, reason: `gcc -static is unavailable: ${(e as Error).message.split('\n')[0]}` };
  }
}

function inputFor(spec: PackageSpec, key: GeneratedApkSigningKey, arch: string): WriteApkInput {
  return {
    info: {
      name: spec.name,
      version: parseApkVersion(spec.version),
      arch,
      description: `${spec.name} for the kiln tests`,
      url: 'https://example.com/kiln-tests',
      license: 'MIT',
      origin: spec.name,
      maintainer: 'kiln tests <kiln@example.com>',
      buildDate: TEST_EPOCH,
      depends: (spec.depends ?? []).map((d) => parseApkConstraint(d)),
      provides: (spec.provides ?? []).map((d) => parseApkConstraint(d)),
      replaces: (spec.replaces ?? []).map((d) => parseApkConstraint(d)),
      installIf: [],
      triggers: [],
    },
    files: spec.files,
    key,
    sourceDateEpoch: TEST_EPOCH,
  };
}

const root = { uid: 0, gid: 0 };
const file = (path: string, content: Uint8Array | string, mode = 0o644, owner = root): ApkFile => ({
  kind: 'file', path, mode, content: typeof content === 'string' ? text(content) : content, ...owner,
});

export function basePackages(binary: Uint8Array): PackageSpec[] {
  return [
    {
      name: 'hello', version: '1.0-r0', depends: ['hello-data', 'so:libgreet.so.1'], provides: ['cmd:hello=1.0-r0'],
      files: [file('usr/bin/hello', binary, 0o755)],
    },
    {
      name: 'hello-data', version: '1.0-r0',
      files: [
        file('usr/share/hello/message.txt', MESSAGE),
        { kind: 'directory', path: 'var/lib/hello', mode: 0o750, uid: 65532, gid: 65532 },
        file('var/lib/hello/state', 'fresh\n', 0o600, { uid: 65532, gid: 65532 }),
      ],
    },
    {
      name: 'libgreet', version: '1.0-r0', provides: ['so:libgreet.so.1=1', 'cmd:greet=1.0-r0'],
      files: [
        file('usr/lib/libgreet.so.1', 'not really a library\n', 0o755),
        { kind: 'symlink', path: 'usr/lib/libgreet.so', target: 'libgreet.so.1', ...root },
        file('usr/bin/greet', '#!/bin/false\n', 0o755),
        { kind: 'hardlink', path: 'usr/bin/greet-again', target: 'usr/bin/greet', mode: 0o755, ...root },
      ],
    },
    { name: 'tool', version: '1.0-r0', files: [file('usr/share/tool/version', '1.0\n')] },
    { name: 'tool', version: '2.0-r0', files: [file('usr/share/tool/version', '2.0\n')] },
    { name: 'clash', version: '1.0-r0', files: [file('usr/bin/hello', 'different bytes\n', 0o755)] },
    { name: 'hello-patch', version: '1.0-r0', replaces: ['hello-data'], files: [file('usr/share/hello/message.txt', 'patched message')] },
    { name: 'refuses-hello', version: '1.0-r0', depends: ['!hello'], files: [file('usr/share/refuses/README', 'no hello here\n')] },
  ];
}

/** Builds the repository in a new temp directory: `<dir>/x86_64/*.apk` and a signed APKINDEX. */
export async function createTestRepo(): Promise<TestRepo> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-test-repo-'));
  const key = generateApkSigningKey({ bits: 2048, prefix: 'kiln-test' });
  const otherKey = generateApkSigningKey({ bits: 2048, prefix: 'stranger' });
  const keyFile = join(dir, key.keyName);
  await writeFile(keyFile, key.publicPem);
  const compiled = await compileHello(dir);
  await mkdir(join(dir, ARCH), { recursive: true });
  const entries: ApkIndexEntry[] = [];
  const writeIndex = (): Promise<void> => writeApkIndex(join(dir, ARCH, 'APKINDEX.tar.gz'), { entries, key, sourceDateEpoch: TEST_EPOCH, description: 'kiln tests' });
  const keys = new Map([[key.keyName, key.publicPem]]);
  const add = async (inputs: readonly PackageSpec[]): Promise<void> => {
    for (const spec of inputs) {
      const encoded = await encodeApk(inputFor(spec, key, ARCH));
      await writeFile(join(dir, ARCH, apkFileName(encoded.info)), encoded.bytes);
      entries.push(indexEntryFor(await decodeApk(encoded.bytes, { keys })));
    }
    await writeIndex();
  };
  await add(basePackages(compiled.binary));
  // aarch64: just the data-only packages, enough for a two-platform index
  const arm: ApkIndexEntry[] = [];
  await mkdir(join(dir, 'aarch64'), { recursive: true });
  for (const spec of basePackages(compiled.binary).filter((p) => p.name === 'tool')) {
    const encoded = await encodeApk(inputFor(spec, key, 'aarch64'));
    await writeFile(join(dir, 'aarch64', apkFileName(encoded.info)), encoded.bytes);
    arm.push(indexEntryFor(await decodeApk(encoded.bytes, { keys })));
  }
  await writeApkIndex(join(dir, 'aarch64', 'APKINDEX.tar.gz'), { entries: arm, key, sourceDateEpoch: TEST_EPOCH });
  return {
    dir,
    key,
    keyFile,
    otherKey,
    staticBinary: compiled.ok,
    ...(compiled.reason !== undefined && { skipReason: compiled.reason }),
    add,
    overwrite: (name, version, bytes) => writeFile(join(dir, ARCH, `${name}-${version}.apk`), bytes),
    entries: () => entries,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
