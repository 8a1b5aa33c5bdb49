import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import { normalizeEntries, type FsEntry } from '../fs-entry.ts';
import type { CompressedRun } from './standalone-run.ts';
import { STANDALONE_MIN, tarSegments, type TarSegment } from './tar-segments.ts';
import { tarStream } from './write-layer.ts';

test('files from STANDALONE_MIN bytes are standalone segments (views, not copies); the segments join into the tar', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-segments-'));
  try {
    const big = Buffer.alloc(STANDALONE_MIN, 7);
    const compressed: CompressedRun = { bytes: Buffer.from('a run'), crc: 1, level: 3, format: 'test' };
    await writeFile(join(dir, 'host.bin'), Buffer.alloc(STANDALONE_MIN * 2, 9));
    const entries: FsEntry[] = [
      { kind: 'file', path: 'a/just-under', mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: Buffer.alloc(STANDALONE_MIN - 1, 1) } },
      { kind: 'file', path: 'b/big', mode: 0o644, uid: 0, gid: 0, content: { kind: 'bytes', data: big, compressed } },
      { kind: 'file', path: 'c/host', mode: 0o644, uid: 0, gid: 0, content: { kind: 'host', path: join(dir, 'host.bin') } },
    ];
    const segments: TarSegment[] = [];
    for await (const s of tarSegments(normalizeEntries(entries), 0)) segments.push(s.kind === 'context' ? { ...s, bytes: Buffer.from(s.bytes) } : s);
    const standalone = segments.filter((s) => s.kind === 'standalone');
    assert.equal(standalone.length, 1, 'only the in-memory file at the threshold; host files stream in context');
    assert.ok(Buffer.from(standalone[0]?.bytes ?? []).equals(big));
    assert.equal(standalone[0]?.kind === 'standalone' && standalone[0].compressed, compressed, 'the entry’s run goes along');
    const joined = Buffer.concat(segments.map((s) => s.bytes));
    assert.ok(joined.equals(await buffer(tarStream(entries, 0))));
    assert.equal(joined.length % 512, 0);
    // the standalone content sits right after its header block, and the tar goes on after its padding
    const at = joined.indexOf(big);
    assert.equal(at % 512, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
