import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Readable } from 'node:stream';
import { makeImage, randomBlob, startDockerRegistry, startProxy } from '../../testing/index.ts';
import { RegistryClient } from './client.ts';
import { parseRetryAfter, retryDelay, DEFAULT_RETRY } from './retry.ts';

void test('parseRetryAfter: seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('3'), 3000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z')), 10_000);
  assert.equal(parseRetryAfter('soon'), undefined);
  assert.equal(parseRetryAfter(undefined), undefined);
});

void test('retryDelay: exponential with jitter, bounded, Retry-After wins', () => {
  for (let attempt = 1; attempt <= 8; attempt++) {
    const d = retryDelay(DEFAULT_RETRY, attempt, undefined);
    const ceiling = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** (attempt - 1));
    assert.ok(d >= ceiling / 2 && d <= ceiling, `${attempt}: ${d}`);
  }
  assert.equal(retryDelay(DEFAULT_RETRY, 1, '2'), 2000);
  assert.equal(retryDelay(DEFAULT_RETRY, 1, '100000'), DEFAULT_RETRY.maxRetryAfterMs);
});

void describe('retries against a flaky server', () => {
  const image = makeImage();
  let server: http.Server;
  let host: string;
  const script: { status: number; headers?: Record<string, string>; reset?: boolean }[] = [];
  let served = 0;
  before(async () => {
    server = http.createServer((req, res) => {
      served++;
      const step = script.shift();
      if (step?.reset) {
        req.socket.destroy();
        return;
      }
      if (step) {
        res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
        res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': image.mediaType, 'docker-content-digest': image.digest });
      res.end(image.bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (delays: number[], retries = 4) =>
    new RegistryClient({ host, retry: { retries, baseDelayMs: 100, sleep: async (ms) => void delays.push(ms) } });

  void test('503 twice, then success', async () => {
    served = 0;
    const delays: number[] = [];
    script.push({ status: 503 }, { status: 503 });
    const got = await client(delays).getManifest('r', 'v1');
    assert.equal(got.digest, image.digest);
    assert.equal(served, 3);
    assert.equal(delays.length, 2);
    assert.ok(delays[0]! >= 50 && delays[0]! <= 100 && delays[1]! >= 100 && delays[1]! <= 200, delays.join());
  });

  void test('429 honours Retry-After', async () => {
    const delays: number[] = [];
    script.push({ status: 429, headers: { 'retry-after': '1' } }, { status: 429, headers: { 'retry-after': '0' } });
    assert.equal((await client(delays).getManifest('r', 'v1')).digest, image.digest);
    assert.deepEqual(delays, [1000, 0]);
  });

  void test('a reset connection is retried', async () => {
    const delays: number[] = [];
    script.push({ status: 0, reset: true });
    assert.equal((await client(delays).getManifest('r', image.digest)).digest, image.digest);
    assert.equal(delays.length, 1);
  });

  void test('the count is bounded: the last answer becomes the error, naming host, repo and registry code', async () => {
    served = 0;
    const delays: number[] = [];
    script.push({ status: 503 }, { status: 503 }, { status: 503 });
    await assert.rejects(client(delays, 2).getManifest('some/repo', 'v1'), {
      code: 'REGISTRY_ERROR',
      message: new RegExp(`GET manifest v1 on ${host}/some/repo: HTTP 503 \\(TOOMANYREQUESTS: slow down\\)`),
    });
    assert.equal(served, 3);
    assert.equal(delays.length, 2);
  });
});

void test('a streamed upload whose connection is reset starts over in a new session', async () => {
  const registry = await startDockerRegistry();
  let resets = 0;
  const proxy = await startProxy({
    target: registry.url,
    intercept: (req) => {
      if (req.method !== 'PUT' || resets > 0) return false;
      resets++;
      req.socket.destroy();
      return true;
    },
  });
  try {
    const client = new RegistryClient({ host: proxy.host, retry: { retries: 2, baseDelayMs: 1 } });
    const blob = randomBlob(256 * 1024);
    let opened = 0;
    const open = () => {
      opened++;
      return Readable.from([blob.data]);
    };
    assert.equal(await client.pushBlob('reset/app', open, blob), 'uploaded');
    assert.equal(resets, 1);
    assert.equal(opened, 2);
    assert.equal(proxy.log.filter((l) => l.startsWith('POST ')).length, 2);
    assert.ok((await client.readBlob('reset/app', blob.digest, blob.size)).equals(blob.data));
  } finally {
    await proxy.close();
    await registry.close();
  }
});
