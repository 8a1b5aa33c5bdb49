import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';
import { SourceCache } from './source-cache.ts';
import type { SourceContext } from './source-context.ts';

/** Test helpers for the source stage: archives (hostile ones too), a counting server. */

export type TestEntry = Partial<Header> & { readonly name: string; readonly content?: string };

/** A tar archive built entry by entry, so tests can write what GNU tar would not. */
export async function makeTar(entries: readonly TestEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    const body = content ?? '';
    await new Promise<void>((resolve, reject) =>
      p.entry({ mode: header.type === 'directory' ? 0o755 : 0o644, mtime: new Date(1_700_000_000_000), ...header }, header.type === undefined || header.type === 'file' ? body : '', (e) => (e ? reject(e) : resolve())),
    );
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function makeTarGz(entries: readonly TestEntry[]): Promise<Buffer> {
  return gzipSync(await makeTar(entries));
}

/** hello-1.0/ with a few files, as an upstream release tarball looks. */
export function helloEntries(version = '1.0'): TestEntry[] {
  return [
    { name: `hello-${version}/`, type: 'directory' },
    { name: `hello-${version}/configure`, content: '#!/bin/sh\necho configured\n', mode: 0o755 },
    { name: `hello-${version}/src/`, type: 'directory' },
    { name: `hello-${version}/src/hello.c`, content: 'int main(void) {\n  return 0;\n}\n' },
  ];
}

export type TestServer = {
  readonly url: string;
  /** requests per path, in arrival order */
  readonly requests: string[];
  /** path → content; absent paths answer 404 */
  readonly files: Map<string, Buffer>;
  /** path → how many of the next requests answer 503 */
  readonly failures: Map<string, number>;
  /** path → how many of the next responses break off halfway through the body */
  readonly truncations: Map<string, number>;
  /** path → where it redirects (302) */
  readonly redirects: Map<string, string>;
  /** path → extra response headers */
  readonly headers: Map<string, Record<string, string>>;
  /** paths that send headers and then nothing */
  readonly stalls: Set<string>;
  close(): Promise<void>;
};

/** An HTTP server on 127.0.0.1 serving `files`, counting every request. */
export async function startServer(files: Record<string, Buffer> = {}): Promise<TestServer> {
  const state = { requests: [] as string[], files: new Map(Object.entries(files)), failures: new Map<string, number>(),
    truncations: new Map<string, number>(),
    redirects: new Map<string, string>(),
    headers: new Map<string, Record<string, string>>(),
    stalls: new Set<string>(),
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    state.requests.push(path);
    const fail = state.failures.get(path) ?? 0;
    if (fail > 0) {
      state.failures.set(path, fail - 1);
      res.writeHead(503).end('busy');
      return;
    }
    const to = state.redirects.get(path);
    if (to !== undefined) {
      res.writeHead(302, { location: to }).end();
      return;
    }
    if (state.stalls.has(path)) {
      res.writeHead(200, { 'content-length': 100 });
      res.flushHeaders();
      return;
    }
    const body = state.files.get(path);
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const cut = state.truncations.get(path) ?? 0;
    if (cut > 0) {
      state.truncations.set(path, cut - 1);
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    res.writeHead(200, { 'content-length': body.length, ...state.headers.get(path) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    ...state,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type TestDirs = { readonly root: string; readonly state: string; readonly workspace: string; readonly recipeDir: string; cleanup(): Promise<void> };

export async function makeDirs(): Promise<TestDirs> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-source-test-'));
  for (const d of ['state', 'workspace', 'recipe']) await mkdir(join(root, d));
  return {
    root,
    state: join(root, 'state'),
    workspace: join(root, 'workspace'),
    recipeDir: join(root, 'recipe'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** A context with fast retries for tests. */
export function testContext(dirs: TestDirs, overrides: Partial<SourceContext> = {}): SourceContext {
  return {
    workspace: dirs.workspace,
    recipeDir: dirs.recipeDir,
    cache: SourceCache.forState(dirs.state),
    gitCacheDir: join(dirs.state, 'git'),
    download: { retryDelayMs: 5 },
    git: { allowedProtocols: ['file'] },
    ...overrides,
  };
}
