import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { joinInside } from './safe-path.ts';
import { writeFileAtomic, writeStreamAtomic } from './atomic-write.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'kiln-files-'));
  dirs.push(d);
  return d;
}

test('writeFileAtomic replaces the file whole and honours the mode exactly', async () => {
  const dir = await tempDir();
  const path = join(dir, 'sub', 'key');
  await writeFileAtomic(path, 'one');
  assert.equal((await stat(path)).mode & 0o777, 0o644);
  const old = process.umask(0o077);
  try {
    await writeFileAtomic(path, 'two', { mode: 0o600 });
    await writeFileAtomic(join(dir, 'pub'), 'p');
  } finally {
    process.umask(old);
  }
  assert.equal(await readFile(path, 'utf8'), 'two');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal((await stat(join(dir, 'pub'))).mode & 0o777, 0o644, 'the umask does not narrow the asked mode');
  assert.deepEqual((await readdir(join(dir, 'sub'))).filter((f) => f.startsWith('.tmp-')), []);
});

test('writeStreamAtomic leaves neither the file nor a temp file when the stream fails', async () => {
  const dir = await tempDir();
  const failing = new Readable({
    read() {
      this.push(Buffer.from('partial'));
      this.destroy(new Error('connection reset'));
    },
  });
  await assert.rejects(writeStreamAtomic(join(dir, 'blob'), failing), /connection reset/);
  assert.deepEqual(await readdir(dir), []);
});

test('joinInside refuses names that leave the root', () => {
  assert.equal(joinInside('/r', 'a/b'), '/r/a/b');
  assert.equal(joinInside('/r', 'a/../b'), '/r/b');
  for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a\0b']) assert.throws(() => joinInside('/r', bad), { code: 'INPUT_INVALID' });
});
