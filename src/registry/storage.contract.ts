/**
 * The suite every {@link RegistryStorage} driver runs (today the filesystem driver;
 * later a driver that keeps content in another registry). It speaks to the driver
 * directly, below HTTP, so a driver is checked before any handler trusts it.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { digestOf, MediaType, type Digest } from '../oci/index.ts';
import { isRegistryError } from './errors.ts';
import type { RegistryStorage } from './storage.ts';

export type StorageUnderTest = { readonly storage: RegistryStorage; cleanup(): Promise<void> };

const body = (data: string | Buffer): Readable => Readable.from([Buffer.from(data)]);

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isCode(code: string, status?: number) {
  return (e: unknown): boolean => isRegistryError(e) && e.code === code && (status === undefined || e.status === status);
}

async function upload(s: RegistryStorage, repo: string, data: string): Promise<Digest> {
  const u = await s.startUpload(repo);
  await s.appendUpload(repo, u.uuid, body(data), {});
  return (await s.finishUpload(repo, u.uuid, digestOf(data))).digest;
}

export function registryStorageContract(name: string, make: () => Promise<StorageUnderTest>): void {
  describe(`registry storage contract: ${name}`, () => {
    let sut: StorageUnderTest;
    let s: RegistryStorage;
    before(async () => {
      sut = await make();
      s = sut.storage;
    });
    after(async () => {
      await sut.cleanup();
    });

    test('chunks append in order, finish checks the digest, ranges read back', async () => {
      const u = await s.startUpload('c/one');
      assert.deepEqual(await s.uploadState('c/one', u.uuid), { uuid: u.uuid, size: 0 });
      await s.appendUpload('c/one', u.uuid, body('hello '), { start: 0, length: 6 });
      await assert.rejects(s.appendUpload('c/one', u.uuid, body('x'), { start: 3 }), isCode('BLOB_UPLOAD_INVALID', 416));
      await assert.rejects(s.appendUpload('c/one', u.uuid, body('wor'), { start: 6, length: 5 }), isCode('SIZE_INVALID'));
      assert.equal((await s.uploadState('c/one', u.uuid))?.size, 6, 'a refused chunk leaves the upload as it was');
      assert.equal(await s.uploadState('c/other', u.uuid), undefined, 'uploads belong to their repository');
      await s.appendUpload('c/one', u.uuid, body('world'), { start: 6 });
      const blob = await s.finishUpload('c/one', u.uuid, digestOf('hello world'));
      assert.deepEqual(blob, { digest: digestOf('hello world'), size: 11 });
      assert.deepEqual(await s.statBlob('c/one', blob.digest), blob);
      assert.equal(await text(s.readBlob(blob.digest, { start: 6, end: 10 })), 'world');
      assert.equal(await s.uploadState('c/one', u.uuid), undefined);
    });

    test('a wrong digest stores nothing and ends the upload', async () => {
      const u = await s.startUpload('c/wrong');
      await s.appendUpload('c/wrong', u.uuid, body('abc'), {});
      await assert.rejects(s.finishUpload('c/wrong', u.uuid, digestOf('abd')), isCode('DIGEST_INVALID'));
      assert.equal(await s.statBlob('c/wrong', digestOf('abd')), undefined);
      assert.equal(await s.statBlob('c/wrong', digestOf('abc')), undefined);
      assert.equal(await s.uploadState('c/wrong', u.uuid), undefined);
      assert.equal(await s.cancelUpload('c/wrong', u.uuid), false);
    });

    test('blobs are shared by content but linked per repository', async () => {
      const d = await upload(s, 'c/src', 'shared');
      assert.equal(await s.statBlob('c/dst', d), undefined);
      assert.equal(await s.linkBlob('c/dst', d), true);
      assert.equal((await s.statBlob('c/dst', d))?.size, 6);
      assert.equal(await s.linkBlob('c/dst', digestOf('absent')), false);
      assert.equal(await s.unlinkBlob('c/dst', d), true);
      assert.equal(await s.statBlob('c/dst', d), undefined);
      assert.equal((await s.statBlob('c/src', d))?.size, 6);
    });

    test('manifests by tag and digest, tags, referrers, deletion', async () => {
      const subject = digestOf('subject');
      const put = async (text: string, tag?: string, referrer = false): Promise<Digest> => {
        const bytes = Buffer.from(text);
        const digest = digestOf(bytes);
        await s.putManifest('c/m', {
          digest,
          mediaType: MediaType.ociManifest,
          bytes,
          ...(tag !== undefined && { tag }),
          ...(referrer && {
            referrer: { subject, descriptor: { mediaType: MediaType.ociManifest, digest, size: bytes.length, artifactType: 'x/y' } },
          }),
        });
        return digest;
      };
      const a = await put('{"a":1}', 'v1');
      const b = await put(`{"b":2,"subject":{"digest":"${subject}"}}`, undefined, true);
      await put('{"a":1}', 'latest');
      assert.equal((await s.getManifest('c/m', 'v1'))?.digest, a);
      assert.equal((await s.getManifest('c/m', a))?.bytes.toString(), '{"a":1}');
      assert.equal((await s.getManifest('c/m', b))?.mediaType, MediaType.ociManifest);
      assert.equal(await s.getManifest('c/elsewhere', a), undefined);
      assert.equal(await s.hasManifest('c/m', b), true);
      assert.deepEqual(await s.listTags('c/m'), ['latest', 'v1']);
      assert.equal(await s.listTags('c/none'), undefined);
      assert.deepEqual((await s.listReferrers('c/m', subject)).map((d) => [d.digest, d.artifactType]), [[b, 'x/y']]);
      assert.ok((await s.listRepositories()).includes('c/m'));

      assert.equal(await s.deleteTag('c/m', 'latest'), true);
      assert.equal(await s.deleteTag('c/m', 'latest'), false);
      assert.equal(await s.deleteManifest('c/m', a), true);
      assert.deepEqual(await s.listTags('c/m'), [], 'deleting a manifest deletes its tags');
      assert.equal(await s.getManifest('c/m', 'v1'), undefined);
      assert.equal(await s.deleteManifest('c/m', b), true);
      assert.deepEqual(await s.listReferrers('c/m', subject), []);
      assert.equal(await s.deleteManifest('c/m', b), false);
    });
  });
}
