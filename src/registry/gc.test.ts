import assert from 'node:assert/strict';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { digestHex, digestOf, MediaType } from '../oci/index.ts';
import { collectGarbage } from './gc.ts';
import { listFiles, pushBlob, pushImage, putManifest, startTestRegistry } from './test-kit.ts';

test('gc removes only blobs no manifest references, and stale uploads', async () => {
  const reg = await startTestRegistry();
  try {
    const tagged = await pushImage(reg.url, 'app', 'v1', { layer: 'tagged layer' });
    const untagged = await pushImage(reg.url, 'app', undefined, { layer: 'untagged layer' });
    const child = await pushImage(reg.url, 'multi', undefined, { layer: 'child layer' });
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: [{ mediaType: MediaType.ociManifest, digest: child.digest, size: child.bytes.length }],
    });
    assert.equal((await putManifest(reg.url, 'multi', 'latest', index, MediaType.ociIndex)).status, 201);
    const orphan = await pushBlob(reg.url, 'app', 'nobody references me');
    const deleted = await pushImage(reg.url, 'gone', 'v1', { layer: 'layer of a deleted image' });
    assert.equal((await fetch(`${reg.url}/v2/gone/manifests/${deleted.digest}`, { method: 'DELETE' })).status, 202);

    // an upload abandoned two days ago, and one in progress now
    const stale = await fetch(`${reg.url}/v2/app/blobs/uploads/`, { method: 'POST' });
    const staleUuid = stale.headers.get('docker-upload-uuid') ?? '';
    const old = new Date(Date.now() - 48 * 3_600_000);
    await utimes(join(reg.dir, 'uploads', staleUuid), old, old);
    const fresh = await fetch(`${reg.url}/v2/app/blobs/uploads/`, { method: 'POST' });
    const freshUuid = fresh.headers.get('docker-upload-uuid') ?? '';

    const dry = await collectGarbage(reg.dir, { dryRun: true });
    assert.ok(dry.removed.length > 0);
    const before = await listFiles(reg.dir);
    const result = await collectGarbage(reg.dir);
    assert.deepEqual(dry.removed, result.removed);
    assert.ok(before.length > (await listFiles(reg.dir)).length);

    const removedBlobs = result.removed.filter((r) => r.kind === 'blob').map((r) => (r.kind === 'blob' ? r.digest : ''));
    assert.deepEqual(removedBlobs.sort(), [orphan, deleted.digest, deleted.layer].sort());
    // the config is shared by every test image (same bytes), so it stays referenced
    assert.ok(!removedBlobs.includes(deleted.config));
    const uploads = result.removed.filter((r) => r.kind === 'upload').map((r) => (r.kind === 'upload' ? r.name : ''));
    assert.deepEqual(uploads, [staleUuid]);
    const files = await listFiles(reg.dir);
    assert.ok(files.includes(`uploads/${freshUuid}`));

    // everything referenced is still served
    for (const [repo, ref, layer] of [
      ['app', 'v1', tagged.layer],
      ['app', untagged.digest, untagged.layer],
      ['multi', 'latest', child.layer],
      ['multi', child.digest, child.config],
    ] as const) {
      assert.equal((await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`)).status, 200, `${repo} ${ref}`);
      assert.equal((await fetch(`${reg.url}/v2/${repo}/blobs/${layer}`, { method: 'HEAD' })).status, 200, `${repo} ${layer}`);
    }
    assert.equal((await fetch(`${reg.url}/v2/app/blobs/${orphan}`, { method: 'HEAD' })).status, 404);
    assert.ok(!files.some((f) => f.endsWith(digestHex(orphan))), 'no file and no link for the orphan');
    // nothing left to do
    const again = await collectGarbage(reg.dir);
    assert.deepEqual(again.removed, []);
  } finally {
    await reg.stop();
  }
});

test('gc keeps young unreferenced blobs when given a grace period', async () => {
  const reg = await startTestRegistry();
  try {
    const young = await pushBlob(reg.url, 'app', 'pushed a moment ago');
    await writeFile(join(reg.dir, 'note'), 'not part of the layout');
    const result = await collectGarbage(reg.dir, { blobMinAgeMs: 60_000 });
    assert.deepEqual(result.removed, []);
    assert.equal((await fetch(`${reg.url}/v2/app/blobs/${young}`, { method: 'HEAD' })).status, 200);
    assert.equal(digestOf('pushed a moment ago'), young);
  } finally {
    await reg.stop();
  }
});

test('gc refuses a storage directory that is not there', async () => {
  await assert.rejects(collectGarbage('/nonexistent/kiln-registry-storage'), { code: 'NOT_FOUND' });
});
