import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { ApkFile } from '../../apk/index.ts';
import { readElfInfo } from './elf-info.ts';
import { mergeDependencies, scanDependencies, sonameVersion, type ScannedPackage } from './scan-dependencies.ts';
import { shebangCommand } from './shebang.ts';

/** A minimal ELF32 big-endian shared object: one PT_LOAD mapping the file at 0x10000, a PT_DYNAMIC with NEEDED and SONAME. */
function elf32be(needed: readonly string[], soname: string): Uint8Array {
  const strings = ['', ...needed, soname];
  const strtab = Buffer.from(`${strings.join('\0')}\0`, 'latin1');
  const offsetOf = (s: string): number => Buffer.from(`${strings.slice(0, strings.indexOf(s)).join('\0')}\0`, 'latin1').length;
  const phoff = 52;
  const dynOff = phoff + 2 * 32;
  const dynEntries: [number, number][] = [...needed.map((n): [number, number] => [1, offsetOf(n)]), [14, offsetOf(soname)], [5, 0], [10, strtab.length], [0, 0]];
  const strOff = dynOff + dynEntries.length * 8;
  const size = strOff + strtab.length;
  const base = 0x10000;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1], 0);
  b.writeUInt16BE(3, 16); // ET_DYN
  b.writeUInt16BE(8, 18); // EM_MIPS
  b.writeUInt32BE(phoff, 28);
  b.writeUInt16BE(32, 42);
  b.writeUInt16BE(2, 44);
  const ph = (i: number, type: number, offset: number, filesz: number): void => {
    const at = phoff + i * 32;
    b.writeUInt32BE(type, at);
    b.writeUInt32BE(offset, at + 4);
    b.writeUInt32BE(base + offset, at + 8);
    b.writeUInt32BE(filesz, at + 16);
  };
  ph(0, 1, 0, size);
  ph(1, 2, dynOff, dynEntries.length * 8);
  dynEntries.forEach(([tag, val], i) => {
    b.writeInt32BE(tag, dynOff + i * 8);
    b.writeUInt32BE(tag === 5 ? base + strOff : val, dynOff + i * 8 + 4);
  });
  strtab.copy(b, strOff);
  return b;
}

const file = (path: string, content: Uint8Array | string, mode = 0o644): ApkFile => ({ kind: 'file', path, mode, uid: 0, gid: 0, content: typeof content === 'string' ? Buffer.from(content) : content });
const noOptions = { noProvides: false, noDepends: false, noCommands: false };

describe('ELF reader', () => {
  test('reads NEEDED and SONAME of a big-endian ELF32 object through PT_DYNAMIC and DT_STRTAB', () => {
    const info = readElfInfo(elf32be(['libc.so.6', 'libm.so.6'], 'libfoo.so.2.1'));
    assert.deepEqual(info && { bits: info.bits, endian: info.endian, needed: info.needed, soname: info.soname, interp: info.interpreter }, {
      bits: 32,
      endian: 'big',
      needed: ['libc.so.6', 'libm.so.6'],
      soname: 'libfoo.so.2.1',
      interp: undefined,
    });
  });

  test("reads the host's own little-endian ELF64 program and C library", () => {
    const ls = readElfInfo(readFileSync('/bin/ls'));
    assert.ok(ls?.interpreter?.includes('ld-linux'), String(ls?.interpreter));
    assert.ok(ls?.needed.includes('libc.so.6'));
    const libc = readElfInfo(readFileSync('/lib/x86_64-linux-gnu/libc.so.6'));
    assert.equal(libc?.soname, 'libc.so.6');
  });

  test('treats anything malformed as not ELF, without throwing', () => {
    const good = elf32be(['libc.so.6'], 'libx.so.1');
    for (let n = 0; n < good.length; n += 7) readElfInfo(good.subarray(0, n));
    assert.equal(readElfInfo(Buffer.from('#!/bin/sh\n')), undefined);
    const lying = Buffer.from(good);
    lying.writeUInt32BE(0xfffffff0, 28); // e_phoff far beyond the end
    assert.equal(readElfInfo(lying), undefined);
  });
});

describe('dependency scan', () => {
  test('so: and cmd: rules, as melange applies them', () => {
    const lib: ScannedPackage = { name: 'libfoo', fullVersion: '1.2-r0', options: noOptions, files: [file('usr/lib/libfoo.so.1.2', elf32be(['libc.so.6'], 'libfoo.so.1'), 0o755)] };
    const dev: ScannedPackage = { name: 'foo-dev', fullVersion: '1.2-r0', options: noOptions, files: [{ kind: 'symlink', path: 'usr/lib/libfoo.so', target: 'libfoo.so.1.2', uid: 0, gid: 0 }] };
    const app: ScannedPackage = {
      name: 'foo',
      fullVersion: '1.2-r0',
      options: noOptions,
      files: [file('usr/bin/foo-script', '#!/usr/bin/env perl\nprint 1;\n', 0o755), file('usr/bin/not-exec', 'x', 0o644), file('usr/bin/shell', '#!/bin/sh\n', 0o755), file('opt/vendored/libbar.so.3', elf32be([], 'libbar.so.3'))],
    };
    const all = [lib, dev, app];
    assert.deepEqual(scanDependencies(lib, all), { runtime: ['so:libc.so.6'], provides: ['so:libfoo.so.1=1'], vendored: [] });
    assert.deepEqual(scanDependencies(dev, all).runtime, ['so:libfoo.so.1']);
    const appDeps = scanDependencies(app, all);
    assert.deepEqual(appDeps.runtime, ['cmd:perl']);
    assert.deepEqual(appDeps.provides, ['cmd:foo-script=1.2-r0', 'cmd:shell=1.2-r0']);
    assert.deepEqual(appDeps.vendored, ['so:libbar.so.3=3']);
    assert.deepEqual(scanDependencies({ ...app, options: { ...noOptions, noCommands: true } }, all).provides, []);
    assert.deepEqual(mergeDependencies({ runtime: ['so:libfoo.so.1', 'busybox'], provides: [] }, scanDependencies(lib, all)).runtime, ['busybox', 'so:libc.so.6']);
  });

  test('soname versions and shebangs', () => {
    assert.equal(sonameVersion('libfoo.so.1.2.3'), '1.2.3');
    assert.equal(sonameVersion('libfoo.so'), '0');
    assert.equal(sonameVersion('libfoo.so.1a'), '0');
    assert.equal(shebangCommand(Buffer.from('#!/usr/bin/env -S node --flag\n')), 'node');
    assert.equal(shebangCommand(Buffer.from('#!/bin/bash -e\n')), 'bash');
    assert.equal(shebangCommand(Buffer.from('#!/usr/bin/python3\n')), undefined);
    assert.equal(shebangCommand(Buffer.from('#!/usr/bin/env a b\n')), undefined);
  });
});
