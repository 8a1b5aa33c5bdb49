import assert from 'node:assert/strict';
import { isKilnError } from '../errors/index.ts';

// Shared by the recipe tests (not a test file itself).

/** GNU hello as a wolfi-style recipe: fetch, autoconf, strip, split/dev, a ranged subpackage. */
export const HELLO = `package:
  name: hello
  version: 2.12.1
  epoch: 0
  description: "the GNU hello world program"
  url: https://www.gnu.org/software/hello/
  copyright:
    - paths:
        - "*"
      attestation: Copyright 1992-2022 Free Software Foundation, Inc.
      license: GPL-3.0-or-later
  dependencies:
    runtime:
      - libintl=\${{package.version}}
    provider-priority: 10
  options:
    no-commands: false
  target-architecture:
    - x86_64
    - aarch64

environment:
  contents:
    repositories:
      - https://packages.wolfi.dev/os
    keyring:
      - https://packages.wolfi.dev/os/wolfi-signing.rsa.pub
    packages:
      - build-base
      - busybox
  environment:
    LANG: C.UTF-8
    JOBS: 4

vars:
  major: "2"

var-transforms:
  - from: \${{package.version}}
    match: ^(\\d+)\\.(\\d+)\\.(\\d+)$
    replace: \${1}_\${2}_$3
    to: underscored

data:
  - name: locales
    items:
      de: German
      3.10: Python-looking key

pipeline:
  - uses: fetch
    with:
      uri: https://ftp.gnu.org/gnu/hello/hello-\${{package.version}}.tar.gz
      expected-sha256: 8d99142afd92576f30b0cd7cb42a8dc6809998bc5d607d88761f512e26c7db20
  - uses: autoconf/configure
    with:
      opts: --disable-nls
  - uses: autoconf/make
  - uses: autoconf/make-install
  - uses: strip
  - if: \${{build.arch}} == "aarch64" && \${{package.name}} != 'bye'
    runs: echo "arm only \${VAR} $(uname -m) {{ not-a-variable }}"

subpackages:
  - name: hello-dev
    description: headers for \${{ package.name }}
    pipeline:
      - uses: split/dev
    dependencies:
      runtime:
        - hello
  - name: hello-lang-\${{range.key}}
    range: locales
    description: \${{range.value}} messages
    dependencies:
      provider-priority: 5
    pipeline:
      - runs: |
          mkdir -p "\${{targets.subpkgdir}}/usr/share/locale/\${{range.key}}"

update:
  enabled: true
  manual: false
  github:
    identifier: gnu/hello
    strip-prefix: v
    use-tag: true
    tag-filter: v2.
  ignore-regex-patterns:
    - rc
  version-transform:
    - match: _
      replace: .

test:
  environment:
    contents:
      packages:
        - coreutils
  pipeline:
    - runs: hello --version | grep \${{package.version}}
`;

/** Runs `fn`, asserts it throws a KilnError, and returns its code and message. */
export function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(isKilnError(e), `expected a KilnError, got ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail('expected an error');
}

/** {@link errorOf} for async work. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await fn();
  } catch (e) {
    assert.ok(isKilnError(e), `expected a KilnError, got ${String(e)}`);
    return { code: e.code, message: e.message };
  }
  assert.fail('expected an error');
}
