import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { OciLayout, parseManifest } from '../oci/index.ts';
import { assembleImage, sourceDateEpochFrom } from './assemble-image.ts';
import { buildImageConfig } from './build-image-config.ts';
import type { FsEntry } from './fs-entry.ts';
import { parseImageConfigYaml } from './parse-image-config-yaml.ts';
import { tempDirs } from '../testing/index.ts';

const run = promisify(execFile);
const EPOCH = 1_700_000_000;

const tempDir = tempDirs('kiln-assemble-');

const CONFIG = `contents:
  packages: [busybox]
entrypoint:
  command: /bin/sh -c "echo hi"
cmd: --verbose
work-dir: /home/nonroot
stop-signal: SIGTERM
environment:
  PORT: 8080
accounts:
  run-as: 65532
annotations:
  org.opencontainers.image.title: demo
  com.example.note: not a label
vcs-url: https://github.com/example/demo@abc123
volumes: [/data]
archs: [amd64, aarch64]
`;

function rootfs(arch: string): FsEntry[] {
  const bytes = (s: string) => ({ kind: 'bytes' as const, data: Buffer.from(s) });
  return [
    { kind: 'directory', path: 'etc', mode: 0o755, uid: 0, gid: 0 },
    { kind: 'file', path: 'etc/passwd', mode: 0o644, uid: 0, gid: 0, content: bytes('root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/bin/sh\n') },
    { kind: 'file', path: 'etc/arch', mode: 0o644, uid: 0, gid: 0, content: bytes(`${arch}\n`) },
    { kind: 'directory', path: 'home/nonroot', mode: 0o700, uid: 65532, gid: 65532 },
    { kind: 'file', path: 'usr/bin/busybox', mode: 0o755, uid: 0, gid: 0, content: bytes('#!/bin/false\n') },
    { kind: 'symlink', path: 'bin/sh', mode: 0o777, uid: 0, gid: 0, target: '/usr/bin/busybox' },
    { kind: 'hardlink', path: 'usr/bin/ash', target: 'usr/bin/busybox' },
  ];
}

async function build(dir: string) {
  const layout = await OciLayout.open(dir, { create: true });
  const { spec } = parseImageConfigYaml(CONFIG, 'demo.yaml');
  // listed in the "wrong" order on purpose: the result must not depend on it
  const result = await assembleImage({ layout, spec, sourceDateEpoch: EPOCH, tag: 'latest', tagPerArch: true, rootfs: spec.archs.map((arch) => ({ arch, entries: rootfs(arch) })).reverse() });
  return { layout, result };
}

describe('assembleImage', () => {
  test('writes layers, configs, manifests and a tagged index; twice gives the same digests', async () => {
    const a = await build(await tempDir());
    const b = await build(await tempDir());
    assert.deepEqual(a.result, b.result);
    assert.deepEqual(await a.layout.tags(), ['latest', 'latest-amd64', 'latest-arm64']);
    const index = parseManifest(await a.layout.readBlob(a.result.index.digest), 'index');
    assert.equal(index.kind, 'index');
    assert.deepEqual(index.manifest.manifests.map((m) => m.platform), [
      { architecture: 'arm64', os: 'linux' },
      { architecture: 'amd64', os: 'linux' },
    ]);
    assert.equal(index.manifest.annotations?.['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');
    assert.equal(index.manifest.annotations?.['org.opencontainers.image.revision'], 'abc123');

    const amd64 = a.result.images.find((i) => i.arch === 'x86_64');
    assert.ok(amd64);
    const manifest = parseManifest(await a.layout.readBlob(amd64.manifest.digest), 'manifest');
    assert.equal(manifest.kind, 'image');
    assert.equal(manifest.manifest.layers[0]?.digest, amd64.layer.descriptor.digest);
    assert.equal(manifest.manifest.annotations?.['org.opencontainers.image.source'], 'https://github.com/example/demo');
    const config = JSON.parse((await a.layout.readBlob(amd64.config.digest)).toString()) as Record<string, unknown>;
    assert.deepEqual(config, {
      architecture: 'amd64',
      author: 'kiln',
      config: {
        Cmd: ['--verbose'],
        Entrypoint: ['/bin/sh', '-c', 'echo hi'],
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'PORT=8080', 'SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt'],
        Labels: {
          'org.opencontainers.image.revision': 'abc123',
          'org.opencontainers.image.source': 'https://github.com/example/demo',
          'org.opencontainers.image.title': 'demo',
        },
        StopSignal: 'SIGTERM',
        User: '65532',
        Volumes: { '/data': {} },
        WorkingDir: '/home/nonroot',
      },
      created: '2023-11-14T22:13:20Z',
      history: [{ comment: 'kiln: packages and configuration', created: '2023-11-14T22:13:20Z', created_by: 'kiln image build' }],
      os: 'linux',
      rootfs: { diff_ids: [amd64.layer.diffId], type: 'layers' },
    });
  });

  test('config builder: shell fragments, service bundles, arm variants, exposed ports', () => {
    const spec = parseImageConfigYaml('entrypoint:\n  shell-fragment: exec nginx\n', 'x.yaml').spec;
    const config = JSON.parse(buildImageConfig({ spec, arch: 'armv7', diffIds: [], sourceDateEpoch: 0, exposedPorts: ['80/tcp'] }).bytes.toString());
    assert.deepEqual(config.config.Entrypoint, ['/bin/sh', '-c', 'exec nginx']);
    assert.deepEqual(config.config.ExposedPorts, { '80/tcp': {} });
    assert.equal(config.architecture, 'arm');
    assert.equal(config.variant, 'v7');
    assert.equal(config.created, '1970-01-01T00:00:00Z');
    const bundle = parseImageConfigYaml('entrypoint:\n  type: service-bundle\n  services: {a: /bin/a}\n', 'x.yaml').spec;
    assert.deepEqual(JSON.parse(buildImageConfig({ spec: bundle, arch: 'x86_64', diffIds: [], sourceDateEpoch: 0 }).bytes.toString()).config.Entrypoint, ['/bin/s6-svscan', '/sv']);
  });

  test('SOURCE_DATE_EPOCH is read strictly', () => {
    assert.equal(sourceDateEpochFrom({ SOURCE_DATE_EPOCH: '1700000000' }), 1_700_000_000);
    assert.equal(sourceDateEpochFrom({}, 42), 42);
    assert.throws(() => sourceDateEpochFrom({ SOURCE_DATE_EPOCH: 'yesterday' }), { code: 'INPUT_INVALID' });
  });

  test('skopeo inspects the image and umoci unpacks it', async () => {
    const dir = await tempDir();
    await build(dir);
    const { stdout } = await run('skopeo', ['inspect', '--override-arch', 'amd64', '--override-os', 'linux', `oci:${dir}:latest`]);
    const inspect = JSON.parse(stdout) as { Architecture: string; Os: string; Layers: string[]; Env: string[]; Labels: Record<string, string>; Created: string };
    assert.equal(inspect.Architecture, 'amd64');
    assert.equal(inspect.Os, 'linux');
    assert.equal(inspect.Layers.length, 1);
    assert.ok(inspect.Env.includes('PORT=8080'));
    assert.equal(inspect.Labels['org.opencontainers.image.title'], 'demo');
    assert.equal(inspect.Created, '2023-11-14T22:13:20Z');
    const raw = JSON.parse((await run('skopeo', ['inspect', '--raw', `oci:${dir}:latest`])).stdout) as { manifests: unknown[] };
    assert.equal(raw.manifests.length, 2);

    // umoci 0.4 cannot pick a platform from an index: it unpacks the per-arch tag
    assert.deepEqual(await (await OciLayout.open(dir)).tags(), ['latest', 'latest-amd64', 'latest-arm64']);
    const bundle = join(await tempDir(), 'bundle');
    await run('umoci', ['unpack', '--rootless', '--image', `${dir}:latest-amd64`, bundle]);
    const rootfsDir = join(bundle, 'rootfs');
    assert.equal(await readFile(join(rootfsDir, 'etc', 'arch'), 'utf8'), 'x86_64\n');
    assert.equal(await readlink(join(rootfsDir, 'bin', 'sh')), '/usr/bin/busybox');
    const [busybox, ash] = await Promise.all([stat(join(rootfsDir, 'usr/bin/busybox')), stat(join(rootfsDir, 'usr/bin/ash'))]);
    assert.equal(busybox.ino, ash.ino);
    assert.equal(busybox.mode & 0o7777, 0o755);
    assert.equal((await stat(join(rootfsDir, 'home/nonroot'))).mode & 0o7777, 0o700);
    assert.equal((await stat(join(rootfsDir, 'etc/passwd'))).mtimeMs, EPOCH * 1000);
    const runtime = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; cwd: string; env: string[] } };
    assert.deepEqual(runtime.process.args, ['/bin/sh', '-c', 'echo hi', '--verbose']);
    assert.equal(runtime.process.cwd, '/home/nonroot');
  });
});
