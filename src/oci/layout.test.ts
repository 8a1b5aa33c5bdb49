import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, test } from 'node:test';
import { canonicalJsonBytes } from './canonical-json.ts';
import { digestOf } from './digest.ts';
import { OciLayout } from './layout.ts';
import { MediaType } from './media-types.ts';
import { tempDirs } from '../testing/index.ts';

const tempDir = tempDirs('kiln-layout-');

describe('OCI image layout', () => {
  test('creates oci-layout and an empty index, and reopens it', async () => {
    const dir = await tempDir();
    await OciLayout.open(dir, { create: true });
    assert.equal(await readFile(join(dir, 'oci-layout'), 'utf8'), '{"imageLayoutVersion":"1.0.0"}');
    const again = await OciLayout.open(dir);
    assert.deepEqual((await again.readIndex()).manifests, []);
  });

  test('refuses a directory that is not a layout, and a bad oci-layout file', async () => {
    const dir = await tempDir();
    await assert.rejects(OciLayout.open(dir), { code: 'NOT_FOUND' });
    await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"2"}');
    await assert.rejects(OciLayout.open(dir), { code: 'LAYOUT_INVALID', message: /1\.0\.0/ });
  });

  test('blobs: put from bytes and streams, read back verified', async () => {
    const layout = await OciLayout.open(await tempDir(), { create: true });
    const a = await layout.putBlob(Buffer.from('hello'));
    assert.deepEqual(a, { digest: digestOf('hello'), size: 5 });
    const b = await layout.putBlob(Readable.from([Buffer.from('wor'), Buffer.from('ld')]));
    assert.equal(b.digest, digestOf('world'));
    assert.equal(await text(layout.openBlob(b.digest, 5)), 'world');
    assert.equal((await layout.readBlob(a.digest, 5)).toString(), 'hello');
  });

  test('a blob whose content does not match its digest is not stored', async () => {
    const layout = await OciLayout.open(await tempDir(), { create: true });
    const wrong = { digest: digestOf('expected'), size: 8 };
    await assert.rejects(layout.putBlob(Readable.from([Buffer.from('tampered')]), wrong), { code: 'DIGEST_MISMATCH' });
    await assert.rejects(layout.putBlob(Buffer.from('tampered'), wrong), { code: 'DIGEST_MISMATCH' });
    assert.equal(await layout.hasBlob(wrong.digest), false);
    assert.deepEqual((await readdir(join(layout.dir, 'blobs', 'sha256'))).filter((f) => f.startsWith('.')), []);
  });

  test('a blob corrupted on disk is refused on read', async () => {
    const layout = await OciLayout.open(await tempDir(), { create: true });
    const { digest } = await layout.putBlob(Buffer.from('hello'));
    await writeFile(layout.blobPath(digest), 'jello');
    await assert.rejects(layout.readBlob(digest), { code: 'DIGEST_MISMATCH' });
    await assert.rejects(text(layout.openBlob(digest)), { code: 'DIGEST_MISMATCH' });
    await assert.rejects(layout.readBlob(digestOf('absent')), { code: 'NOT_FOUND' });
  });

  test('tags move, untagged manifests stay, referrers are found by subject', async () => {
    const layout = await OciLayout.open(await tempDir(), { create: true });
    const config = await layout.putBlob(Buffer.from('{}'));
    const manifest = (extra: object) =>
      canonicalJsonBytes({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, ...config }, layers: [], ...extra });
    const m1 = manifest({ annotations: { n: '1' } });
    const m2 = manifest({ annotations: { n: '2' } });
    const d1 = await layout.putBlob(m1);
    const d2 = await layout.putBlob(m2);
    await layout.addManifest({ mediaType: MediaType.ociManifest, ...d1 }, 'v1');
    await layout.addManifest({ mediaType: MediaType.ociManifest, ...d2 }, 'v1');
    assert.equal((await layout.resolve('v1')).digest, d2.digest);
    assert.deepEqual(await layout.tags(), ['v1']);

    const sig = manifest({ artifactType: 'application/vnd.test.sig', subject: { mediaType: MediaType.ociManifest, ...d2 } });
    const ds = await layout.putBlob(sig);
    await layout.addManifest({ mediaType: MediaType.ociManifest, ...ds });
    const refs = await layout.referrers(d2.digest);
    assert.deepEqual(refs.map((r) => [r.digest, r.artifactType]), [[ds.digest, 'application/vnd.test.sig']]);
    assert.deepEqual(await layout.referrers(d2.digest, 'application/other'), []);
    assert.equal((await layout.resolve(d1.digest)).digest, d1.digest);
    await assert.rejects(layout.resolve('nope'), { code: 'NOT_FOUND' });
  });
});
