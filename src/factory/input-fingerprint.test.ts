import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeInputChanges } from './describe-input-changes.ts';
import { inputFingerprint, type ImageInputs } from './input-fingerprint.ts';
import { digest, v } from './test-fixtures.ts';

const base: ImageInputs = {
  packages: [
    { name: 'nginx', version: v('1.27.4-r0'), checksum: 'Q1n' },
    { name: 'openssl', version: v('3.3.1-r0'), checksum: 'Q1o' },
  ],
  configDigest: digest('c'),
  assemblerVersion: '0.1.0',
  variant: 'prod',
};

describe('input fingerprint', () => {
  test('each input counts, package order does not', () => {
    const fp = inputFingerprint(base);
    assert.match(fp, /^sha256:[0-9a-f]{64}$/);
    assert.equal(inputFingerprint({ ...base, packages: [...base.packages].reverse() }), fp);
    const variants: ImageInputs[] = [
      { ...base, variant: 'dev' },
      { ...base, assemblerVersion: '0.2.0' },
      { ...base, configDigest: digest('d') },
      { ...base, packages: [base.packages[0] ?? assert.fail(), { name: 'openssl', version: v('3.3.1-r0'), checksum: 'Q1o-rebuilt' }] },
      { ...base, packages: base.packages.slice(0, 1) },
      { ...base, packages: base.packages.map((p) => ({ ...p, arch: 'x86_64' })) },
    ];
    const all = new Set([fp, ...variants.map(inputFingerprint)]);
    assert.equal(all.size, variants.length + 1);
  });
});

describe('what changed', () => {
  test('versions, rebuilds, additions, removals, config and assembler, in that order', () => {
    const after: ImageInputs = {
      ...base,
      packages: [
        { name: 'ca-certificates', version: v('20250101-r0'), checksum: 'Q1c' },
        { name: 'nginx', version: v('1.27.4-r0'), checksum: 'Q1n2' },
        { name: 'zlib', version: v('1.3.1-r0'), checksum: 'Q1z' },
      ],
      configDigest: digest('d'),
      assemblerVersion: '0.2.0',
    };
    assert.equal(
      describeInputChanges(base, after),
      'ca-certificates 20250101-r0 added, nginx 1.27.4-r0 rebuilt, openssl 3.3.1-r0 removed, zlib 1.3.1-r0 added, image config changed, assembler 0.1.0 → 0.2.0',
    );
    assert.equal(describeInputChanges(base, base), 'no package changed');
  });

  test('a change on every architecture is named once; a long list is cut', () => {
    const arches = (version: string): ImageInputs => ({
      ...base,
      packages: ['x86_64', 'aarch64'].map((arch) => ({ name: 'openssl', version: v(version), checksum: `Q1${version}${arch}`, arch })),
    });
    assert.equal(describeInputChanges(arches('3.3.1-r0'), arches('3.3.2-r0')), 'openssl 3.3.1-r0 → 3.3.2-r0');
    const many = (r: number): ImageInputs => ({
      ...base,
      packages: 'abcdefgh'.split('').map((n) => ({ name: n, version: v(`1.0-r${r}`), checksum: `Q1${n}${r}` })),
    });
    assert.equal(describeInputChanges(many(0), many(1)), 'a 1.0-r0 → 1.0-r1, b 1.0-r0 → 1.0-r1, c 1.0-r0 → 1.0-r1, d 1.0-r0 → 1.0-r1, e 1.0-r0 → 1.0-r1, f 1.0-r0 → 1.0-r1, and 2 more');
  });
});
