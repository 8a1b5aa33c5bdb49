import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKilnError } from '../errors/index.ts';
import { defaultDatabaseUrl, openDatabase } from './index.ts';

test('an embedded database is opened once: a second open is DATABASE_BUSY until the first closes; a dead holder’s lock is taken over', async () => {
  const state = await mkdtemp(join(tmpdir(), 'kiln-db-lock-'));
  try {
    const url = defaultDatabaseUrl(state);
    const first = await openDatabase({ url, owner: 'kiln serve' });
    try {
      assert.deepEqual(JSON.parse(await readFile(join(state, 'db.lock'), 'utf8')), { pid: process.pid, owner: 'kiln serve' });
      await assert.rejects(
        openDatabase({ url }),
        (e) =>
          isKilnError(e) &&
          e.code === 'DATABASE_BUSY' &&
          e.message === `${join(state, 'db')} is in use by kiln serve (pid ${process.pid}); use the API (curl …/api/v1/…) or POST /api/v1/cycles, or stop it`,
      );
    } finally {
      await first.close();
    }
    await assert.rejects(readFile(join(state, 'db.lock')), { code: 'ENOENT' });
    const again = await openDatabase({ url });
    await again.close();

    // a pid that has exited: a child that ran and ended
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead !== undefined);
    await writeFile(join(state, 'db.lock'), JSON.stringify({ pid: dead, owner: 'kiln serve' }));
    const takeover = await openDatabase({ url, owner: 'kiln factory run' });
    assert.equal(JSON.parse(await readFile(join(state, 'db.lock'), 'utf8')).owner, 'kiln factory run');
    await takeover.close();
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});
