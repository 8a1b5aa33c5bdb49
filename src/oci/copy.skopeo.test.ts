import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { blobOf, kilnRegistryMissing, makeImage, startDockerRegistry, startKilnRegistry, tarLayer, type RunningRegistry } from '../testing/index.ts';
import { RegistryClient } from './client/client.ts';
import { copyByReference } from './copy/open-endpoints.ts';
import { OciLayout } from './layout.ts';
import { MediaType } from './media-types.ts';
import { parseImageRef } from './reference.ts';

const SKOPEO = '/usr/bin/skopeo';
const run = promisify(execFile);

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run(SKOPEO, ['--insecure-policy', ...args], { timeout: 60_000 });
  return stdout;
}

const skip = !existsSync(SKOPEO) ? `${SKOPEO} is not installed` : kilnRegistryMissing();

/**
 * Interoperability: an image made by kiln in an OCI layout travels layout → kiln's
 * registry → docker-registry → layout, once with skopeo and once with kiln copy, and
 * keeps its manifest digest at every hop.
 */
void describe('round trip with skopeo and kiln copy', { skip: skip ?? false }, () => {
  let dir: string;
  let kiln: RunningRegistry;
  let docker: RunningRegistry;
  let digest: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-skopeo-'));
    [kiln, docker] = await Promise.all([startKilnRegistry(), startDockerRegistry()]);
    // gzip, as registries expect: skopeo would otherwise compress the layer and change the digest
    const layer = blobOf(gzipSync(await tarLayer({ 'etc/os-release': 'ID=kiln\n', 'hello.txt': 'hello\n' })), MediaType.ociLayerGzip);
    const image = makeImage({ layers: [layer], label: 'skopeo-round-trip' });
    const layout = await OciLayout.open(join(dir, 'src'), { create: true });
    for (const b of image.blobs) await layout.putBlob(b.data, b);
    await layout.putBlob(image.bytes, { digest: image.digest, size: image.bytes.length });
    await layout.addManifest(image.descriptor, 'v1');
    digest = image.digest;
  });
  after(async () => {
    await Promise.all([kiln?.close(), docker?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  void test('skopeo: layout → kiln registry → docker-registry → layout, same digest', async () => {
    await skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${join(dir, 'src')}:v1`, `docker://${kiln.host}/skopeo/app:v1`);
    assert.equal((await new RegistryClient({ host: kiln.host }).getManifest('skopeo/app', 'v1')).digest, digest);
    await skopeo(
      'copy',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${kiln.host}/skopeo/app:v1`,
      `docker://${docker.host}/skopeo/app:v1`,
    );
    assert.equal((await new RegistryClient({ host: docker.host }).getManifest('skopeo/app', 'v1')).digest, digest);
    await skopeo('copy', '--preserve-digests', '--src-tls-verify=false', `docker://${docker.host}/skopeo/app:v1`, `oci:${join(dir, 'back')}:v1`);
    assert.equal((await (await OciLayout.open(join(dir, 'back'))).resolve('v1')).digest, digest);
  });

  void test('skopeo inspect and list-tags against kiln registry', async () => {
    const inspect = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${kiln.host}/skopeo/app:v1`)) as {
      Digest: string;
      Labels: Record<string, string>;
      Layers: string[];
    };
    assert.equal(inspect.Digest, digest);
    assert.equal(inspect.Labels['kiln.test'], 'skopeo-round-trip');
    assert.equal(inspect.Layers.length, 1);
    const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', `docker://${kiln.host}/skopeo/app`)) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v1']);
  });

  void test('kiln copy: layout → kiln registry → docker-registry → layout, same digest; skopeo reads the result', async () => {
    const hops = [
      [`oci:${join(dir, 'src')}:v1`, `${kiln.host}/kiln/app:v1`],
      [`${kiln.host}/kiln/app:v1`, `${docker.host}/kiln/app:v1`],
      [`${docker.host}/kiln/app:v1`, `oci:${join(dir, 'kiln-back')}:v1`],
    ] as const;
    for (const [src, dst] of hops) {
      const result = await copyByReference(parseImageRef(src), parseImageRef(dst));
      assert.equal(result.digest, digest, `${src} → ${dst}`);
    }
    assert.equal((await (await OciLayout.open(join(dir, 'kiln-back'))).resolve('v1')).digest, digest);
    const inspect = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${docker.host}/kiln/app:v1`)) as { Digest: string };
    assert.equal(inspect.Digest, digest);
    // and skopeo can take kiln's layout output back into kiln's registry
    await skopeo('copy', '--preserve-digests', '--dest-tls-verify=false', `oci:${join(dir, 'kiln-back')}:v1`, `docker://${kiln.host}/again/app:v1`);
    assert.equal((await new RegistryClient({ host: kiln.host }).getManifest('again/app', 'v1')).digest, digest);
  });
});
