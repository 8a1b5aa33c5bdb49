import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { digestOf, MediaType } from '../oci/index.ts';
import { assertSameBytes, errorCode, pushBlob, pushImage, putManifest, rawRequest, startTestRegistry, type TestRegistry } from './test-kit.ts';

describe('registry manifests and referrers', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry();
  });
  after(async () => {
    await reg.stop();
  });

  test('a manifest pushed by tag is served by tag and by digest, with its media type', async () => {
    const img = await pushImage(reg.url, 'library/nginx/sub', 'v1');
    for (const ref of ['v1', img.digest]) {
      const res = await fetch(`${reg.url}/v2/library/nginx/sub/manifests/${ref}`);
      assert.equal(res.status, 200, ref);
      assert.equal(res.headers.get('content-type'), MediaType.ociManifest);
      assert.equal(res.headers.get('docker-content-digest'), img.digest);
      assert.equal(res.headers.get('content-length'), String(img.bytes.length));
      assertSameBytes(await res.arrayBuffer(), img.bytes);
    }
    const head = await fetch(`${reg.url}/v2/library/nginx/sub/manifests/v1`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), img.digest);
    const missing = await fetch(`${reg.url}/v2/library/nginx/sub/manifests/v2`);
    assert.equal(missing.status, 404);
    assert.equal(await errorCode(missing), 'MANIFEST_UNKNOWN');
  });

  test('a PUT by digest must match the body', async () => {
    const img = await pushImage(reg.url, 'bydigest', undefined);
    const res = await putManifest(reg.url, 'bydigest', digestOf('other'), img.bytes);
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'DIGEST_INVALID');
    assert.equal((await putManifest(reg.url, 'bydigest', img.digest, img.bytes)).status, 201);
  });

  test('a manifest naming a blob the repository lacks is MANIFEST_BLOB_UNKNOWN', async () => {
    const config = await pushBlob(reg.url, 'partial', '{}');
    const layer = digestOf('never pushed');
    const body = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: config, size: 2 },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: layer, size: 12 }],
    });
    const res = await putManifest(reg.url, 'partial', 'v1', body);
    assert.equal(res.status, 400);
    const json = (await res.json()) as { errors: { code: string; detail: { digests: string[] } }[] };
    assert.equal(json.errors[0]?.code, 'MANIFEST_BLOB_UNKNOWN');
    assert.deepEqual(json.errors[0]?.detail.digests, [layer]);
    // a blob held by another repository does not count
    const elsewhere = await pushBlob(reg.url, 'elsewhere', 'never pushed');
    assert.equal(elsewhere, layer);
    assert.equal(await errorCode(await putManifest(reg.url, 'partial', 'v1', body)), 'MANIFEST_BLOB_UNKNOWN');
    assert.equal((await fetch(`${reg.url}/v2/partial/manifests/v1`)).status, 404);
  });

  test('an index must name manifests the repository holds', async () => {
    const child = await pushImage(reg.url, 'multi', undefined);
    const index = (digests: string[]): string =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: digests.map((digest) => ({ mediaType: MediaType.ociManifest, digest, size: 100, platform: { architecture: 'amd64', os: 'linux' } })),
      });
    const bad = await putManifest(reg.url, 'multi', 'latest', index([child.digest, digestOf('absent')]), MediaType.ociIndex);
    assert.equal(await errorCode(bad), 'MANIFEST_BLOB_UNKNOWN');
    const ok = await putManifest(reg.url, 'multi', 'latest', index([child.digest]), MediaType.ociIndex);
    assert.equal(ok.status, 201);
    const got = await fetch(`${reg.url}/v2/multi/manifests/latest`);
    assert.equal(got.headers.get('content-type'), MediaType.ociIndex);
  });

  test('malformed manifests are MANIFEST_INVALID', async () => {
    for (const body of ['{not json', '[]', JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] })]) {
      const res = await putManifest(reg.url, 'broken', 'v1', body);
      assert.equal(res.status, 400, body);
      assert.equal(await errorCode(res), 'MANIFEST_INVALID', body);
    }
  });

  test('a manifest over 4 MiB is refused with 413, by Content-Length and while reading', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
    const declared = await putManifest(reg.url, 'big', 'v1', big);
    assert.equal(declared.status, 413);
    await declared.arrayBuffer();
    // no Content-Length: a streamed body is counted as it arrives
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(1024 * 1024).fill(0x20));
        controller.close();
      },
    });
    const streamed = await fetch(`${reg.url}/v2/big/manifests/v1`, {
      method: 'PUT',
      body: stream,
      headers: { 'Content-Type': MediaType.ociManifest },
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    await streamed.arrayBuffer();
    assert.equal((await fetch(`${reg.url}/v2/`)).status, 200);
  });

  test('invalid tags are TAG_INVALID; invalid names NAME_INVALID', async () => {
    const img = await pushImage(reg.url, 'tags-check', undefined);
    for (const tag of ['-lead', '.dot', 'a'.repeat(129), 'sp%20ace']) {
      const res = await putManifest(reg.url, 'tags-check', tag, img.bytes);
      assert.equal(res.status, 400, tag);
      assert.equal(await errorCode(res), 'TAG_INVALID', tag);
    }
    const names = ['a/../b', '../etc', 'UPPER/case', `${'a'.repeat(250)}/bbbbbb`, 'a//b', 'a/_layers'];
    for (const name of names) {
      const r = await rawRequest(reg.url, 'GET', `/v2/${name}/manifests/latest`);
      assert.equal(r.status, 400, name);
      assert.equal(JSON.parse(r.body).errors[0].code, 'NAME_INVALID', name);
    }
    const put = await rawRequest(reg.url, 'PUT', '/v2/x/../../y/manifests/v1', img.bytes);
    assert.equal(JSON.parse(put.body).errors[0].code, 'NAME_INVALID');
    assert.equal((await fetch(`${reg.url}/v2/`)).status, 200);
  });

  test('referrers: OCI-Subject on PUT, a subject need not exist, filter by artifactType', async () => {
    const subject = digestOf('a subject nobody pushed yet');
    const sbom = await pushImage(reg.url, 'refs', undefined, {
      subject,
      artifactType: 'application/spdx+json',
      annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
      layer: 'sbom',
    });
    const sig = await pushImage(reg.url, 'refs', undefined, { subject, artifactType: 'application/vnd.dev.sigstore.bundle+json', layer: 'sig' });
    // the PUT answered with OCI-Subject
    const again = await putManifest(reg.url, 'refs', sig.digest, sig.bytes);
    assert.equal(again.headers.get('oci-subject'), subject);

    const all = await fetch(`${reg.url}/v2/refs/referrers/${subject}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers.get('content-type'), MediaType.ociIndex);
    assert.equal(all.headers.get('oci-filters-applied'), null);
    const index = (await all.json()) as { mediaType: string; manifests: { digest: string; artifactType?: string; annotations?: Record<string, string> }[] };
    assert.equal(index.mediaType, MediaType.ociIndex);
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sbom.digest, sig.digest].sort());
    const sbomEntry = index.manifests.find((m) => m.digest === sbom.digest);
    assert.equal(sbomEntry?.artifactType, 'application/spdx+json');
    assert.deepEqual(sbomEntry?.annotations, { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' });

    const filtered = await fetch(`${reg.url}/v2/refs/referrers/${subject}?artifactType=application/spdx%2Bjson`);
    assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
    const f = (await filtered.json()) as { manifests: { digest: string }[] };
    assert.deepEqual(f.manifests.map((m) => m.digest), [sbom.digest]);

    const none = await fetch(`${reg.url}/v2/refs/referrers/${digestOf('nothing refers here')}`);
    assert.equal(none.status, 200);
    assert.deepEqual(((await none.json()) as { manifests: unknown[] }).manifests, []);

    // deleting a referrer takes it out of the list
    assert.equal((await fetch(`${reg.url}/v2/refs/manifests/${sig.digest}`, { method: 'DELETE' })).status, 202);
    const after = (await (await fetch(`${reg.url}/v2/refs/referrers/${subject}`)).json()) as { manifests: { digest: string }[] };
    assert.deepEqual(after.manifests.map((m) => m.digest), [sbom.digest]);

    const bad = await fetch(`${reg.url}/v2/refs/referrers/sha256:nothex`);
    assert.equal(await errorCode(bad), 'DIGEST_INVALID');
  });

  test('DELETE by tag removes the tag; by digest the manifest and its tags', async () => {
    const img = await pushImage(reg.url, 'del', 'one');
    await putManifest(reg.url, 'del', 'two', img.bytes);
    assert.equal((await fetch(`${reg.url}/v2/del/manifests/one`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${reg.url}/v2/del/manifests/one`)).status, 404);
    assert.equal((await fetch(`${reg.url}/v2/del/manifests/two`)).status, 200);
    assert.equal((await fetch(`${reg.url}/v2/del/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${reg.url}/v2/del/manifests/${img.digest}`)).status, 404);
    assert.equal((await fetch(`${reg.url}/v2/del/manifests/two`)).status, 404);
    const tags = (await (await fetch(`${reg.url}/v2/del/tags/list`)).json()) as { tags: string[] };
    assert.deepEqual(tags.tags, []);
    const again = await fetch(`${reg.url}/v2/del/manifests/${img.digest}`, { method: 'DELETE' });
    assert.equal(await errorCode(again), 'MANIFEST_UNKNOWN');
  });
});
