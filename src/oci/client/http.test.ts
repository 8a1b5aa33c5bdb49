import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { makeImage } from '../../testing/index.ts';
import { RegistryClient } from './client.ts';

const image = makeImage();
let server: http.Server;
let host: string;
let connections = 0;
let inFlight = 0;
let maxInFlight = 0;

before(async () => {
  server = http.createServer((_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // a slow registry: concurrency shows as requests overlapping here
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': image.mediaType, 'docker-content-digest': image.digest }).end(image.bytes);
    }, 30);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

void test('sequential requests reuse one kept-alive connection', async () => {
  connections = 0;
  const client = new RegistryClient({ host });
  for (let i = 0; i < 10; i++) await client.getManifest('r', 'v1');
  assert.equal(connections, 1);
});

void test('concurrent requests from many clients run in parallel', async () => {
  maxInFlight = 0;
  const clients = Array.from({ length: 20 }, () => new RegistryClient({ host }));
  const started = performance.now();
  await Promise.all(clients.map(async (c) => c.getManifest('r', image.digest)));
  const elapsed = performance.now() - started;
  assert.equal(maxInFlight, 20);
  assert.ok(elapsed < 20 * 30, `${elapsed} ms: requests were serialised`);
});
