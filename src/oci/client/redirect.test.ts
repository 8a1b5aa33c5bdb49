import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { randomBlob } from '../../testing/index.ts';
import { RegistryClient } from './client.ts';

const blob = randomBlob(100_000);
let registry: http.Server;
let storage: http.Server;
let host: string;
const storageSaw: (string | undefined)[] = [];

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

before(async () => {
  // object storage on another origin: serves the blob to whoever has the signed URL
  storage = http.createServer((req, res) => {
    storageSaw.push(req.headers.authorization);
    res.writeHead(200, { 'content-length': String(blob.size) }).end(blob.data);
  });
  const storagePort = await listen(storage);
  // a registry that wants basic auth and sends blob GETs to storage
  registry = http.createServer((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('u:p').toString('base64')}`) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end();
      return;
    }
    res.writeHead(307, { location: `http://127.0.0.1:${storagePort}/signed/${blob.digest}?sig=abc` }).end();
  });
  host = `127.0.0.1:${await listen(registry)}`;
});
after(async () => {
  for (const s of [registry, storage]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

void test('a blob GET follows the redirect to storage, without sending credentials there', async () => {
  const client = new RegistryClient({ host, credentials: { username: 'u', password: 'p' } });
  const data = await client.readBlob('r', blob.digest, blob.size);
  assert.ok(data.equals(blob.data));
  assert.deepEqual(storageSaw, [undefined]);
});
