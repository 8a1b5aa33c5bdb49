/**
 * Helpers for the registry's own tests: a registry on 127.0.0.1 port 0 in a temp dir,
 * and small pushes over raw fetch. Not part of the public surface.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digestOf, MediaType, type Digest } from '../oci/index.ts';
import { startRegistry, type RunningRegistry, type StartRegistryOptions } from './server.ts';

export type TestRegistry = RunningRegistry & { readonly dir: string; stop(): Promise<void> };

export async function startTestRegistry(options: Partial<StartRegistryOptions> = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-registry-'));
  // no fsync by default: the tests are about protocol; the storage contract covers durable mode
  const reg = await startRegistry({ storageDir: dir, port: 0, storageOptions: { durable: false }, ...options });
  return {
    ...reg,
    dir,
    stop: async () => {
      await reg.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function pushBlob(url: string, repo: string, data: Uint8Array | string, headers: Record<string, string> = {}): Promise<Digest> {
  const digest = digestOf(data);
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: typeof data === 'string' ? data : Buffer.from(data),
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
  });
  if (res.status !== 201) throw new Error(`pushBlob ${repo}: ${res.status} ${await res.text()}`);
  return digest;
}

export type PushedImage = { readonly digest: Digest; readonly bytes: Buffer; readonly config: Digest; readonly layer: Digest };

/** Pushes a config and one layer, then a manifest naming them (optionally tagged, with a subject). */
export async function pushImage(
  url: string,
  repo: string,
  reference: string | undefined,
  extra: { readonly layer?: string; readonly subject?: Digest; readonly artifactType?: string; readonly annotations?: Record<string, string> } = {},
): Promise<PushedImage> {
  const configBytes = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  const config = await pushBlob(url, repo, configBytes);
  const layerBytes = extra.layer ?? `layer of ${repo}`;
  const layer = await pushBlob(url, repo, layerBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    ...(extra.artifactType && { artifactType: extra.artifactType }),
    config: { mediaType: MediaType.ociConfig, digest: config, size: Buffer.byteLength(configBytes) },
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: layer, size: Buffer.byteLength(layerBytes) }],
    ...(extra.subject && { subject: { mediaType: MediaType.ociManifest, digest: extra.subject, size: 1 } }),
    ...(extra.annotations && { annotations: extra.annotations }),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = digestOf(bytes);
  const res = await putManifest(url, repo, reference ?? digest, bytes);
  if (res.status !== 201) throw new Error(`pushImage ${repo}: ${res.status} ${await res.text()}`);
  return { digest, bytes, config, layer };
}

export function putManifest(url: string, repo: string, reference: string, body: Buffer | string, mediaType: string = MediaType.ociManifest): Promise<Response> {
  return fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType } });
}

/** The spec error code of a response, reading its body. */
export async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: { code?: string }[] };
  return body.errors?.[0]?.code;
}

/**
 * A request with a path exactly as given: fetch (WHATWG URL) would resolve `..` and
 * percent-escapes before sending, which is not what an attacker's client does.
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ readonly status: number; readonly body: string; readonly headers: Record<string, string | string[] | undefined> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers: body ? { 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every file under `dir`, relative, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Compares bytes without assert's diff, which takes minutes on large buffers. */
export function assertSameBytes(actual: ArrayBuffer | Uint8Array, expected: Uint8Array): void {
  const a = Buffer.from(actual instanceof ArrayBuffer ? new Uint8Array(actual) : actual);
  assert.equal(a.length, expected.length, `expected ${expected.length} bytes, got ${a.length}`);
  assert.ok(a.equals(expected), `the ${a.length} bytes differ from what was pushed (digest ${digestOf(a)} vs ${digestOf(expected)})`);
}
