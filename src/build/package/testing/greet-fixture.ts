import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

// Shared by the package build tests (not a test file itself).

/** A small C project: libgreet.so.1 (with a SONAME), a program linking it, a header, a man page and a bash script. */
const PROJECT: Readonly<Record<string, string>> = {
  'greet.h': '#ifndef GREET_H\n#define GREET_H\nconst char *greeting(void);\n#endif\n',
  'greet.c': '#include "greet.h"\nconst char *greeting(void) { return "hello from libgreet"; }\n',
  'main.c': '#include <stdio.h>\n#include "greet.h"\nint main(void) { puts(greeting()); return 0; }\n',
  'greet.1': '.TH GREET 1\n.SH NAME\ngreet \\- print a greeting\n',
  'greet-twice': '#!/bin/bash\ngreet\ngreet\n',
  Makefile: [
    'PREFIX ?= /usr',
    'CFLAGS ?= -O2 -g',
    'all: greet',
    'libgreet.so.1: greet.c greet.h',
    '\t$(CC) $(CFLAGS) -fPIC -shared -Wl,-soname,libgreet.so.1 -o $@ greet.c',
    'libgreet.so: libgreet.so.1',
    '\tln -sf libgreet.so.1 $@',
    'greet: main.c libgreet.so',
    '\t$(CC) $(CFLAGS) -o $@ main.c -L. -lgreet',
    'install: all',
    '\tinstall -Dm755 libgreet.so.1 $(DESTDIR)$(PREFIX)/lib/libgreet.so.1',
    '\tln -sf libgreet.so.1 $(DESTDIR)$(PREFIX)/lib/libgreet.so',
    '\tinstall -Dm755 greet $(DESTDIR)$(PREFIX)/bin/greet',
    '\tinstall -Dm755 greet-twice $(DESTDIR)$(PREFIX)/bin/greet-twice',
    '\tinstall -Dm644 greet.h $(DESTDIR)$(PREFIX)/include/greet.h',
    '\tinstall -Dm644 greet.1 $(DESTDIR)$(PREFIX)/share/man/man1/greet.1',
    '',
  ].join('\n'),
};

/** The release's file times: SOURCE_DATE_EPOCH is derived from them. */
export const GREET_MTIME = 1_700_000_000;

/** Writes the project as `greet-1.0/` and packs it into `greet-1.0.tar.gz` in `dir`; returns the tarball's path and sha256. */
export async function makeGreetTarball(dir: string): Promise<{ readonly path: string; readonly sha256: string; readonly bytes: Buffer }> {
  const src = join(dir, 'greet-1.0');
  await mkdir(src, { recursive: true });
  for (const [name, text] of Object.entries(PROJECT)) await writeFile(join(src, name), text, { mode: name === 'greet-twice' ? 0o755 : 0o644 });
  const path = join(dir, 'greet-1.0.tar.gz');
  execFileSync('tar', ['--sort=name', `--mtime=@${GREET_MTIME}`, '--owner=0', '--group=0', '--numeric-owner', '-czf', path, '-C', dir, 'greet-1.0']);
  const bytes = await readFile(path);
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
}

/** Serves `files` (URL path → bytes) on 127.0.0.1; counts requests. */
export async function serveFiles(files: ReadonlyMap<string, Uint8Array>): Promise<{ readonly url: string; readonly port: number; readonly requests: () => number; readonly close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    const body = files.get(req.url ?? '');
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.byteLength }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type GreetRecipeOptions = {
  readonly url: string;
  readonly sha256: string;
  readonly version?: string;
  /** Extra script appended to the main pipeline. */
  readonly extraRuns?: string;
  /** The test section's script (default: run greet and check its output). */
  readonly testRuns?: string;
};

/** The recipe: fetch, make via the built-in pipelines, strip, split/dev, split/manpages, a test. */
export function greetRecipe(o: GreetRecipeOptions): string {
  const version = o.version ?? '1.0';
  const indent = (s: string, n: number): string => s.split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');
  return `package:
  name: greet
  version: "${version}"
  epoch: 0
  description: a greeting program and its library
  url: https://example.invalid/greet
  copyright:
    - license: MIT
      attestation: Copyright 2026 The Greet Authors

environment:
  contents:
    packages:
      - build-essential
  environment:
    CFLAGS: -O2 -g

pipeline:
  - uses: fetch
    with:
      uri: ${o.url}/greet-\${{package.version}}.tar.gz
      expected-sha256: ${o.sha256}
  - uses: autoconf/make
  - uses: autoconf/make-install
${o.extraRuns ? `  - runs: |\n${indent(o.extraRuns, 6)}\n` : ''}  - uses: strip

subpackages:
  - name: greet-dev
    description: headers and the link-time library name for greet
    pipeline:
      - uses: split/dev
  - name: libgreet
    description: the greeting library
    pipeline:
      - runs: |
          mkdir -p "\${{targets.subpkgdir}}/usr/lib"
          mv "\${{targets.destdir}}"/usr/lib/libgreet.so.* "\${{targets.subpkgdir}}/usr/lib/"
  - name: greet-doc
    description: greet's manual
    pipeline:
      - uses: split/manpages

test:
  environment:
    contents:
      packages:
        - build-essential
  pipeline:
    - runs: |
${indent(o.testRuns ?? 'greet | grep "hello from libgreet"\ntest -f /usr/lib/libgreet.so.1', 8)}
`;
}
