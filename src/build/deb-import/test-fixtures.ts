import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { pack as tarPack, type Header } from 'tar-stream';
import { KilnError } from '../../errors/index.ts';
import type { ArchiveRecord } from './apt-archive.ts';
import type { DebSource } from './resolve-imports.ts';

/** An `ar` archive as dpkg-deb writes it (test-only writer). */
export function writeAr(members: readonly { name: string; content: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n', 'latin1')];
  for (const m of members) {
    const header = `${m.name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(m.content.byteLength).padEnd(10)}\`\n`;
    parts.push(Buffer.from(header, 'latin1'), m.content);
    if (m.content.byteLength % 2 === 1) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

export type FixtureEntry = Partial<Header> & { readonly name: string; readonly content?: Buffer | string };

export async function packTarEntries(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const { content, ...header } = e;
    const body = content === undefined ? undefined : Buffer.from(content);
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => (err ? reject(err) : resolve());
      const h = { mode: header.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: new Date(1_700_000_000_000), ...header };
      if (body !== undefined) pack.entry(h, body, cb);
      else pack.entry(h, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export type Compression = 'gz' | 'xz' | 'zst' | 'none';

function compress(data: Buffer, how: Compression): Buffer {
  switch (how) {
    case 'gz':
      return gzipSync(data);
    case 'zst':
      return zstdCompressSync(data);
    case 'xz': {
      const r = spawnSync('xz', ['-c', '-T1'], { input: data, maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`xz failed: ${String(r.stderr)}`);
      return r.stdout;
    }
    case 'none':
      return data;
  }
}

export type FixtureDeb = {
  readonly package: string;
  readonly version: string;
  readonly architecture?: string;
  readonly extraControl?: string;
  readonly data?: readonly FixtureEntry[];
  readonly controlFiles?: Readonly<Record<string, string>>;
  readonly compression?: Compression;
};

/** A small but real .deb: debian-binary, control.tar.*, data.tar.*. */
export async function buildDeb(d: FixtureDeb): Promise<Buffer> {
  const how = d.compression ?? 'xz';
  const control = `Package: ${d.package}\nVersion: ${d.version}\nArchitecture: ${d.architecture ?? 'all'}\nMaintainer: Test <t@example.org>\n${d.extraControl ?? ''}Description: test package ${d.package}\n a longer description\n`;
  const controlTar = await packTarEntries([
    { name: './', type: 'directory' },
    { name: './control', content: control },
    ...Object.entries(d.controlFiles ?? {}).map(([name, content]) => ({ name: `./${name}`, content, mode: 0o755 })),
  ]);
  const dataTar = await packTarEntries(d.data ?? [{ name: './', type: 'directory' }, { name: './usr/', type: 'directory' }, { name: './usr/share/', type: 'directory' }, { name: `./usr/share/${d.package}.txt`, content: `${d.package}\n` }]);
  const ext = how === 'none' ? '' : `.${how}`;
  return writeAr([
    { name: 'debian-binary', content: Buffer.from('2.0\n') },
    { name: `control.tar${ext}`, content: compress(controlTar, how) },
    { name: `data.tar${ext}`, content: compress(dataTar, how) },
  ]);
}

/** A DebSource over fixture .debs: records made from the bytes, downloads counted. */
export class FakeDebSource implements DebSource {
  readonly debs = new Map<string, { version: string; architecture: string; bytes: Buffer }>();
  downloads = 0;
  /** Bytes to hand out instead of the real ones (a tampered mirror). */
  tamper?: (bytes: Buffer) => Buffer;

  add(name: string, version: string, bytes: Buffer, architecture = 'all'): void {
    this.debs.set(name, { version, architecture, bytes });
  }

  async record(name: string, version?: string): Promise<ArchiveRecord> {
    const d = this.debs.get(name);
    if (d === undefined || (version !== undefined && version !== d.version)) {
      throw new KilnError('PACKAGE_UNKNOWN', `Debian package ${name}: not in the fake archive`);
    }
    const file = `${name}_${d.version}_${d.architecture}.deb`;
    return {
      package: name,
      version: d.version,
      architecture: d.architecture,
      filename: `pool/main/x/${name}/${file}`,
      size: d.bytes.byteLength,
      sha256: createHash('sha256').update(d.bytes).digest('hex'),
      url: `http://archive.invalid/debian/pool/main/x/${name}/${file}`,
    };
  }

  async download(record: ArchiveRecord): Promise<Buffer> {
    this.downloads++;
    const bytes = this.debs.get(record.package)?.bytes ?? Buffer.alloc(0);
    return this.tamper ? this.tamper(bytes) : bytes;
  }
}
