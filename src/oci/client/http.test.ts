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
let maxInFlight = 0;
/** Answers are held until this many requests are in flight at once (or 2 s pass). */
let releaseAt = 1;
let held: http.ServerResponse[] = [];
let timer: NodeJS.Timeout | undefined;

function releaseAll(): void {
  clearTimeout(timer);
  timer = undefined;
  for (const res of held) res.writeHead(200, { 'content-type': image.mediaType, 'docker-content-digest': image.digest }).end(image.bytes);
  held = [];
}

before(async () => {
  // A registry that answers only once `releaseAt` requests overlap: a client that
  // serialised its requests would never get there (and time out), however
  // slow or loaded the machine is.
  server = http.createServer((_req, res) => {
    held.push(res);
    maxInFlight = Math.max(maxInFlight, held.length);
    if (held.length >= releaseAt) releaseAll();
    else timer ??= setTimeout(releaseAll, 2000);
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

void test('concurrent requests from many clients run in parallel', { timeout: 10_000 }, async () => {
  maxInFlight = 0;
  releaseAt = 20;
  const clients = Array.from({ length: 20 }, () => new RegistryClient({ host }));
  await Promise.all(clients.map(async (c) => c.getManifest('r', image.digest)));
  releaseAt = 1;
  assert.equal(maxInFlight, 20, 'all 20 requests were in flight at once');
});
