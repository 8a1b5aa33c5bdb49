import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestHex, digestOf } from '../oci/index.ts';
import { assertSameBytes, errorCode, listFiles, pushBlob, rawRequest, startTestRegistry, type TestRegistry } from './test-kit.ts';

describe('registry blobs and uploads', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry();
  });
  after(async () => {
    await reg.stop();
  });

  /** After every refusal, the registry must still answer. */
  async function stillServing(): Promise<void> {
    const res = await fetch(`${reg.url}/v2/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  }

  test('a monolithic upload is served back byte for byte, with its digest and length', async () => {
    const data = randomBytes(300_000);
    const digest = await pushBlob(reg.url, 'library/nginx/sub', data);
    const res = await fetch(`${reg.url}/v2/library/nginx/sub/blobs/${digest}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('docker-content-digest'), digest);
    assert.equal(res.headers.get('content-length'), String(data.length));
    assertSameBytes(await res.arrayBuffer(), data);
    const head = await fetch(`${reg.url}/v2/library/nginx/sub/blobs/${digest}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(data.length));
    // another repository does not hold it
    assert.equal((await fetch(`${reg.url}/v2/other/blobs/${digest}`, { method: 'HEAD' })).status, 404);
  });

  test('a chunked upload: POST, PATCH with Content-Range, status, PUT with a last chunk', async () => {
    const data = randomBytes(250_000);
    const start = await fetch(`${reg.url}/v2/chunky/blobs/uploads/`, { method: 'POST' });
    assert.equal(start.status, 202);
    const uuid = start.headers.get('docker-upload-uuid') ?? '';
    const location = start.headers.get('location') ?? '';
    assert.ok(uuid !== '' && location.endsWith(uuid));
    assert.equal(start.headers.get('range'), '0-0');

    const p1 = await fetch(new URL(location, reg.url), {
      method: 'PATCH',
      body: data.subarray(0, 100_000),
      headers: { 'Content-Range': '0-99999', 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get('range'), '0-99999');
    const p2 = await fetch(new URL(location, reg.url), { method: 'PATCH', body: data.subarray(100_000, 200_000), headers: { 'Content-Range': '100000-199999' } });
    assert.equal(p2.status, 202);

    const status = await fetch(new URL(location, reg.url));
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-199999');
    assert.equal(status.headers.get('docker-upload-uuid'), uuid);

    const digest = digestOf(data);
    const done = await fetch(new URL(`${location}?digest=${digest}`, reg.url), { method: 'PUT', body: data.subarray(200_000) });
    assert.equal(done.status, 201);
    assert.equal(done.headers.get('docker-content-digest'), digest);
    assert.equal(done.headers.get('location'), `/v2/chunky/blobs/${digest}`);
    const got = await fetch(`${reg.url}/v2/chunky/blobs/${digest}`);
    assertSameBytes(await got.arrayBuffer(), data);
    // the session is over
    assert.equal((await fetch(new URL(location, reg.url))).status, 404);
  });

  test('Range requests get 206 with Content-Range; an unsatisfiable one 416', async () => {
    const data = Buffer.from('0123456789abcdef');
    const digest = await pushBlob(reg.url, 'ranges', data);
    const url = `${reg.url}/v2/ranges/blobs/${digest}`;
    const mid = await fetch(url, { headers: { Range: 'bytes=4-7' } });
    assert.equal(mid.status, 206);
    assert.equal(mid.headers.get('content-range'), 'bytes 4-7/16');
    assert.equal(await mid.text(), '4567');
    const tail = await fetch(url, { headers: { Range: 'bytes=-3' } });
    assert.equal(tail.status, 206);
    assert.equal(await tail.text(), 'def');
    const open = await fetch(url, { headers: { Range: 'bytes=10-' } });
    assert.equal(await open.text(), 'abcdef');
    const bad = await fetch(url, { headers: { Range: 'bytes=16-20' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get('content-range'), 'bytes */16');
    await bad.arrayBuffer();
  });

  test('mount from a repository holding the blob is 201; from one lacking it falls back to 202', async () => {
    const digest = await pushBlob(reg.url, 'mount/source', 'shared layer');
    const ok = await fetch(`${reg.url}/v2/mount/target/blobs/uploads/?mount=${digest}&from=mount/source`, { method: 'POST' });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('location'), `/v2/mount/target/blobs/${digest}`);
    assert.equal(await (await fetch(`${reg.url}/v2/mount/target/blobs/${digest}`)).text(), 'shared layer');

    const elsewhere = await fetch(`${reg.url}/v2/mount/third/blobs/uploads/?mount=${digest}&from=mount/empty`, { method: 'POST' });
    assert.equal(elsewhere.status, 202);
    assert.ok(elsewhere.headers.get('docker-upload-uuid'));
    assert.equal((await fetch(`${reg.url}/v2/mount/third/blobs/${digest}`, { method: 'HEAD' })).status, 404);
  });

  test('DELETE of a blob unlinks it; DELETE of an upload ends it', async () => {
    const digest = await pushBlob(reg.url, 'deleting', 'to go');
    const del = await fetch(`${reg.url}/v2/deleting/blobs/${digest}`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    const gone = await fetch(`${reg.url}/v2/deleting/blobs/${digest}`);
    assert.equal(gone.status, 404);
    assert.equal(await errorCode(gone), 'BLOB_UNKNOWN');

    const start = await fetch(`${reg.url}/v2/deleting/blobs/uploads/`, { method: 'POST' });
    const location = new URL(start.headers.get('location') ?? '', reg.url);
    assert.equal((await fetch(location, { method: 'DELETE' })).status, 204);
    const after = await fetch(location);
    assert.equal(after.status, 404);
    assert.equal(await errorCode(after), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a wrong digest is DIGEST_INVALID and stores nothing', async () => {
    const data = Buffer.from('these bytes are not what the digest says');
    const claimed = digestOf('something else');
    const before = await listFiles(reg.dir);
    const res = await fetch(`${reg.url}/v2/wrong/blobs/uploads/?digest=${claimed}`, { method: 'POST', body: data });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'DIGEST_INVALID');
    const blobFiles = (await listFiles(reg.dir)).filter((f) => f.startsWith('blobs/') || f.startsWith('uploads/'));
    // nothing new in the store, and no staging file left behind
    assert.deepEqual(blobFiles, before.filter((f) => f.startsWith('blobs/') || f.startsWith('uploads/')));
    assert.ok(!blobFiles.some((f) => f.endsWith(digestHex(claimed)) || f.endsWith(digestHex(digestOf(data)))));
    assert.equal((await fetch(`${reg.url}/v2/wrong/blobs/${claimed}`, { method: 'HEAD' })).status, 404);

    // the chunked path too: the session is discarded with its staging file
    const start = await fetch(`${reg.url}/v2/wrong/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location') ?? '';
    const uuid = start.headers.get('docker-upload-uuid') ?? '';
    assert.ok((await listFiles(`${reg.dir}/uploads`)).includes(uuid));
    const put = await fetch(new URL(`${location}?digest=${claimed}`, reg.url), { method: 'PUT', body: data });
    assert.equal(await errorCode(put), 'DIGEST_INVALID');
    assert.ok(!(await listFiles(`${reg.dir}/uploads`)).includes(uuid));
    assert.ok(!(await listFiles(`${reg.dir}/blobs`)).some((f) => f.endsWith(digestHex(digestOf(data)))));
    await stillServing();
  });

  test('a malformed digest, also one that tries to climb out of the store, is DIGEST_INVALID', async () => {
    for (const bad of ['sha256:..%2F..%2F..%2Fetc%2Fpasswd', 'sha256:..', 'sha256:abc', 'md5:d41d8cd98f00b204e9800998ecf8427e']) {
      const r = await rawRequest(reg.url, 'GET', `/v2/repo/blobs/${bad}`);
      assert.equal(r.status, 400, bad);
      assert.equal(JSON.parse(r.body).errors[0].code, 'DIGEST_INVALID');
    }
    // with real slashes the path is no endpoint at all
    const climb = await rawRequest(reg.url, 'GET', '/v2/repo/blobs/sha256:../../../../etc/passwd');
    assert.equal(climb.status, 404);
    assert.doesNotMatch(climb.body, /root:/);
    const r = await rawRequest(reg.url, 'POST', `/v2/repo/blobs/uploads/?digest=sha256:..%2F..%2Fx`, Buffer.from('x'));
    assert.equal(JSON.parse(r.body).errors[0].code, 'DIGEST_INVALID');
    await stillServing();
  });

  test('a chunk whose Content-Range and Content-Length disagree is SIZE_INVALID, and the upload is intact', async () => {
    const start = await fetch(`${reg.url}/v2/sizes/blobs/uploads/`, { method: 'POST' });
    const location = new URL(start.headers.get('location') ?? '', reg.url);
    const res = await fetch(location, { method: 'PATCH', body: Buffer.alloc(50, 1), headers: { 'Content-Range': '0-99' } });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), 'SIZE_INVALID');
    assert.equal((await fetch(location)).headers.get('range'), '0-0');
    // a monolithic push whose Content-Range does not match its body
    const ok = await fetch(location, { method: 'PATCH', body: Buffer.alloc(50, 1), headers: { 'Content-Range': '0-49' } });
    assert.equal(ok.status, 202);
    await stillServing();
  });

  test('an out-of-order chunk is 416 and leaves the upload where it was', async () => {
    const start = await fetch(`${reg.url}/v2/order/blobs/uploads/`, { method: 'POST' });
    const location = new URL(start.headers.get('location') ?? '', reg.url);
    await fetch(location, { method: 'PATCH', body: Buffer.alloc(10, 7), headers: { 'Content-Range': '0-9' } });
    const skip = await fetch(location, { method: 'PATCH', body: Buffer.alloc(10, 7), headers: { 'Content-Range': '20-29' } });
    assert.equal(skip.status, 416);
    await skip.arrayBuffer();
    const again = await fetch(location, { method: 'PATCH', body: Buffer.alloc(10, 7), headers: { 'Content-Range': '0-9' } });
    assert.equal(again.status, 416);
    await again.arrayBuffer();
    const status = await fetch(location);
    assert.equal(status.headers.get('range'), '0-9');
    const digest = digestOf(Buffer.alloc(10, 7));
    assert.equal((await fetch(`${location.href}?digest=${digest}`, { method: 'PUT' })).status, 201);
  });

  test('a chunk cut off midway is rolled back: the upload continues from where it was', async () => {
    const start = await fetch(`${reg.url}/v2/cut/blobs/uploads/`, { method: 'POST' });
    const location = start.headers.get('location') ?? '';
    const uuid = start.headers.get('docker-upload-uuid') ?? '';
    const head = Buffer.alloc(10, 1);
    await fetch(new URL(location, reg.url), { method: 'PATCH', body: head, headers: { 'Content-Range': '0-9' } });
    // a chunk that promises 100000 bytes and delivers 50000 before the client vanishes
    const { hostname, port } = new URL(reg.url);
    const req = request({ hostname, port, method: 'PATCH', path: location, headers: { 'Content-Length': 100_000, 'Content-Range': '10-100009' } });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(50_000, 2));
    const staged = join(reg.dir, 'uploads', uuid);
    for (let i = 0; i < 100 && (await stat(staged)).size < 50_010; i++) await sleep(10);
    assert.equal((await stat(staged)).size, 50_010, 'the partial chunk reached the staging file');
    req.destroy();
    // the server notices the abort a moment later; until then the chunk is still in flight (416)
    const tail = Buffer.alloc(5, 3);
    let status = 0;
    for (let i = 0; i < 100 && status !== 202; i++) {
      await sleep(10);
      const res = await fetch(new URL(location, reg.url), { method: 'PATCH', body: tail, headers: { 'Content-Range': '10-14' } });
      status = res.status;
      await res.arrayBuffer();
    }
    assert.equal(status, 202);
    assert.equal((await fetch(new URL(location, reg.url))).headers.get('range'), '0-14');
    const whole = Buffer.concat([head, tail]);
    const done = await fetch(new URL(`${location}?digest=${digestOf(whole)}`, reg.url), { method: 'PUT' });
    assert.equal(done.status, 201);
    assertSameBytes(await (await fetch(`${reg.url}/v2/cut/blobs/${digestOf(whole)}`)).arrayBuffer(), whole);
  });

  test('an unknown or path-like upload uuid is BLOB_UPLOAD_UNKNOWN', async () => {
    for (const uuid of ['00000000-0000-0000-0000-000000000000', '..%2F..%2Fblobs', '..', '%2e%2e']) {
      const r = await rawRequest(reg.url, 'PATCH', `/v2/repo/blobs/uploads/${uuid}`, Buffer.from('abc'));
      assert.equal(r.status, 404, uuid);
      assert.equal(JSON.parse(r.body).errors[0].code, 'BLOB_UPLOAD_UNKNOWN', uuid);
    }
    // `../..` after uploads/ makes the path some other endpoint, never a file outside the store
    const climb = await rawRequest(reg.url, 'PUT', `/v2/repo/blobs/uploads/../../../../etc/passwd?digest=${digestOf('x')}`, Buffer.from('x'));
    assert.ok(climb.status >= 400 && climb.status < 500, String(climb.status));
    // an upload of one repository is unknown in another
    const start = await fetch(`${reg.url}/v2/mine/blobs/uploads/`, { method: 'POST' });
    const uuid = start.headers.get('docker-upload-uuid') ?? '';
    const other = await fetch(`${reg.url}/v2/theirs/blobs/uploads/${uuid}`);
    assert.equal(await errorCode(other), 'BLOB_UPLOAD_UNKNOWN');
    await stillServing();
  });
});
