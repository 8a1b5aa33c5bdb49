import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Readable } from 'node:stream';
import { blobOf, randomBlob, makeImage, makeIndex, makeReferrer, pushManifests, startProxy, type RunningRegistry } from '../../testing/index.ts';
import { canonicalJsonBytes } from '../canonical-json.ts';
import { digestOf, type Digest } from '../digest.ts';
import { MediaType } from '../media-types.ts';
import { RegistryClient } from './client.ts';
import { isRegistryError } from './registry-error.ts';

export type RegistryUnderTest = RunningRegistry;

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * What kiln's registry client needs of any registry it talks to, and so what every
 * registry kiln ships or tests against must do. Run once per implementation.
 */
export function registryContract(name: string, start: () => Promise<RegistryUnderTest>, options: { readonly skip?: string } = {}): void {
  void describe(`registry contract: ${name}`, { skip: options.skip ?? false }, () => {
    let registry: RegistryUnderTest;
    let client: RegistryClient;
    before(async () => {
      registry = await start();
      client = new RegistryClient({ host: registry.host, retry: { retries: 1, baseDelayMs: 10 } });
    });
    after(async () => {
      await registry?.close();
    });

    void test('GET /v2/ answers', async () => {
      await client.ping();
    });

    void test('monolithic upload (POST then streamed PUT) then GET returns the same bytes', async () => {
      const blob = randomBlob(300 * 1024 + 7);
      const result = await client.pushBlob('contract/mono', () => Readable.from([blob.data]), blob, { chunkSize: 0 });
      assert.equal(result, 'uploaded');
      assert.deepEqual(await client.headBlob('contract/mono', blob.digest), { digest: blob.digest, size: blob.size });
      assert.ok((await collect(client.openBlob('contract/mono', blob.digest, blob.size))).equals(blob.data));
      assert.equal(await client.pushBlob('contract/mono', blob.data, blob), 'exists');
    });

    void test('single-request upload of a small blob (POST ?digest=, or its 202 fallback)', async () => {
      const blob = randomBlob(1000);
      assert.equal(await client.pushBlob('contract/small', blob.data, blob), 'uploaded');
      assert.ok((await client.readBlob('contract/small', blob.digest, blob.size)).equals(blob.data));
    });

    void test('chunked upload (PATCH with Content-Range) then GET returns the same bytes', async () => {
      const blob = randomBlob(200 * 1024 + 123);
      // a stream cut into odd pieces, so chunk boundaries fall inside them
      const pieces = [];
      for (let i = 0; i < blob.size; i += 10_007) pieces.push(blob.data.subarray(i, i + 10_007));
      const result = await client.pushBlob('contract/chunked', Readable.from(pieces), blob, { chunkSize: 64 * 1024 });
      assert.equal(result, 'uploaded');
      assert.ok((await collect(client.openBlob('contract/chunked', blob.digest, blob.size))).equals(blob.data));
    });

    void test('a GET cut mid-body resumes with a Range request and still verifies', async () => {
      const blob = randomBlob(512 * 1024);
      await client.pushBlob('contract/resume', blob.data, blob);
      let cuts = 0;
      const proxy = await startProxy({
        target: registry.url,
        cutAfter: (req, status) => {
          if (req.method !== 'GET' || status !== 200 || !req.url?.includes('/blobs/sha256:') || cuts > 0) return undefined;
          cuts++;
          return 100 * 1024 + 3;
        },
      });
      try {
        const viaProxy = new RegistryClient({ host: proxy.host, retry: { retries: 0 } });
        const data = await collect(viaProxy.openBlob('contract/resume', blob.digest, blob.size));
        assert.ok(data.equals(blob.data));
        assert.equal(cuts, 1);
        const ranged = proxy.log.filter((l) => / bytes=[0-9]+-$/.test(l));
        assert.equal(ranged.length, 1, proxy.log.join('\n'));
        assert.ok(Number(/bytes=([0-9]+)-/.exec(ranged[0] ?? '')?.[1]) > 0);
      } finally {
        await proxy.close();
      }
    });

    void test('cross-repository mount, and upload when the source repository lacks the blob', async () => {
      const blob = randomBlob(4096);
      await client.pushBlob('contract/mount-src', blob.data, blob);
      const mounted = await client.pushBlob('contract/mount-dst', blob.data, blob, { mountFrom: 'contract/mount-src' });
      assert.ok(mounted === 'mounted' || mounted === 'uploaded', mounted);
      assert.ok(await client.headBlob('contract/mount-dst', blob.digest));
      const other = randomBlob(4096);
      const fallback = await client.pushBlob('contract/mount-dst', other.data, other, { mountFrom: 'contract/mount-empty' });
      assert.equal(fallback, 'uploaded');
      assert.ok((await client.readBlob('contract/mount-dst', other.digest, other.size)).equals(other.data));
    });

    void test('manifest by tag and by digest: bytes, media type and digest round-trip verbatim', async () => {
      const image = makeImage();
      await pushManifests(client, 'contract/manifests', [image], 'v1');
      const byTag = await client.getManifest('contract/manifests', 'v1');
      assert.equal(byTag.digest, image.digest);
      assert.equal(byTag.mediaType, MediaType.ociManifest);
      assert.ok(byTag.bytes.equals(image.bytes));
      const byDigest = await client.getManifest('contract/manifests', image.digest);
      assert.ok(byDigest.bytes.equals(image.bytes));
      const head = await client.headManifest('contract/manifests', 'v1');
      assert.deepEqual(head, { digest: image.digest, mediaType: MediaType.ociManifest, size: image.bytes.length });
      assert.equal(await client.headManifest('contract/manifests', 'nope'), undefined);
      await assert.rejects(client.getManifest('contract/manifests', 'nope'), { code: 'NOT_FOUND' });
    });

    void test('an index and its children', async () => {
      const a = makeImage();
      const b = makeImage();
      const index = makeIndex([a, b]);
      await pushManifests(client, 'contract/index', [a, b, index], 'multi');
      const got = await client.getManifest('contract/index', 'multi');
      assert.equal(got.mediaType, MediaType.ociIndex);
      assert.equal(got.digest, index.digest);
    });

    void test('Docker schema 2 manifests and lists keep their media types', async () => {
      const layer = randomBlob(512, MediaType.dockerLayerGzip);
      const config = blobOf(canonicalJsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } }), MediaType.dockerConfig);
      const d = (b: { mediaType: string; digest: Digest; size: number }) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
      const manifest = canonicalJsonBytes({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: d(config), layers: [d(layer)] });
      const list = canonicalJsonBytes({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifestList,
        manifests: [{ ...d({ mediaType: MediaType.dockerManifest, digest: digestOf(manifest), size: manifest.length }), platform: { architecture: 'amd64', os: 'linux' } }],
      });
      for (const b of [layer, config]) await client.pushBlob('contract/docker', b.data, b);
      await client.putManifest('contract/docker', digestOf(manifest), manifest, MediaType.dockerManifest);
      await client.putManifest('contract/docker', 'list', list, MediaType.dockerManifestList);
      const got = await client.getManifest('contract/docker', 'list');
      assert.equal(got.mediaType, MediaType.dockerManifestList);
      assert.ok(got.bytes.equals(list));
      assert.equal((await client.getManifest('contract/docker', digestOf(manifest))).mediaType, MediaType.dockerManifest);
    });

    void test('tag listing follows pagination', async () => {
      const image = makeImage();
      await pushManifests(client, 'contract/tags', [image], 't0');
      const tags = ['t0', 't1', 't2', 't3', 't4', 't5', 't6'];
      for (const tag of tags.slice(1)) await client.putManifest('contract/tags', tag, image.bytes, image.mediaType);
      assert.deepEqual((await client.listTags('contract/tags', { pageSize: 2 })).sort(), tags);
      assert.deepEqual((await client.listTags('contract/tags')).sort(), tags);
    });

    void test('referrers: listed through the API or the tag-schema fallback, filtered by artifactType', async () => {
      const image = makeImage();
      await pushManifests(client, 'contract/referrers', [image], 'v1');
      assert.deepEqual(await client.referrers('contract/referrers', image.digest), []);
      const sbom = makeReferrer(image.descriptor, 'application/spdx+json');
      const sig = makeReferrer(image.descriptor, 'application/vnd.dev.cosign.simplesigning.v1+json');
      await pushManifests(client, 'contract/referrers', [sbom]);
      await pushManifests(client, 'contract/referrers', [sig]);
      const all = await client.referrers('contract/referrers', image.digest);
      assert.deepEqual(all.map((d) => d.digest).sort(), [sbom.digest, sig.digest].sort());
      const found = all.find((d) => d.digest === sbom.digest);
      assert.equal(found?.artifactType, 'application/spdx+json');
      assert.equal(found?.size, sbom.bytes.length);
      const onlySbom = await client.referrers('contract/referrers', image.digest, 'application/spdx+json');
      assert.deepEqual(onlySbom.map((d) => d.digest), [sbom.digest]);
    });

    void test('catalog lists repositories, with pagination', async () => {
      const image = makeImage();
      await pushManifests(client, 'contract/catalog-a', [image], 'v1');
      await pushManifests(client, 'contract/catalog-b', [image], 'v1');
      const repos = await client.listRepositories({ pageSize: 2 });
      assert.ok(repos.includes('contract/catalog-a') && repos.includes('contract/catalog-b'), repos.join(', '));
      assert.equal(new Set(repos).size, repos.length);
    });

    void test('delete a manifest and a blob', async () => {
      const image = makeImage();
      await pushManifests(client, 'contract/delete', [image], 'v1');
      await client.deleteManifest('contract/delete', image.digest);
      assert.equal(await client.headManifest('contract/delete', image.digest), undefined);
      const layer = image.blobs[1];
      assert.ok(layer);
      await client.deleteBlob('contract/delete', layer.digest);
      assert.equal(await client.headBlob('contract/delete', layer.digest), undefined);
      await assert.rejects(client.readBlob('contract/delete', layer.digest), { code: 'NOT_FOUND' });
    });

    void test('a wrong digest on upload is an error and the blob is not there afterwards', async () => {
      const blob = randomBlob(2048);
      const claimed = digestOf(Buffer.from('something else')) as Digest;
      for (const body of [blob.data, () => Readable.from([blob.data])]) {
        await assert.rejects(client.pushBlob('contract/wrong', body, { digest: claimed, size: blob.size }, { chunkSize: 0 }), (e) => {
          assert.ok(isRegistryError(e), String(e));
          assert.equal(e.code, 'DIGEST_MISMATCH');
          assert.match(e.message, /contract\/wrong/);
          return true;
        });
      }
      assert.equal(await client.headBlob('contract/wrong', claimed), undefined);
      assert.equal(await client.headBlob('contract/wrong', blob.digest), undefined);
    });

    void test('a manifest referencing a missing blob is refused', async () => {
      const image = makeImage();
      const config = image.blobs[0];
      assert.ok(config);
      await client.pushBlob('contract/missing', config.data, config);
      await assert.rejects(client.putManifest('contract/missing', 'v1', image.bytes, image.mediaType), (e) => {
        assert.ok(isRegistryError(e), String(e));
        assert.ok(e.status >= 400 && e.status < 500, String(e.status));
        assert.match(e.message, /PUT manifest v1 on 127\.0\.0\.1:[0-9]+\/contract\/missing/);
        return true;
      });
      assert.equal(await client.headManifest('contract/missing', 'v1'), undefined);
    });
  });
}
