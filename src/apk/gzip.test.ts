import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { gzipDeterministic, inflateSingleMember, inflateSingleMemberAsync } from './gzip.ts';

describe('inflateSingleMember (sync and on the thread pool)', () => {
  const data = Buffer.concat([Buffer.from('hello '.repeat(50_000)), randomBytes(70_000)]);
  const gz = gzipDeterministic(data);

  test('both give the content and the member exactly as stored', async () => {
    for (const member of [inflateSingleMember(gz, 't'), await inflateSingleMemberAsync(gz, 't')]) {
      assert.ok(member.content.equals(data));
      assert.ok(member.compressed.equals(gz));
    }
    assert.equal((await inflateSingleMemberAsync(gzipDeterministic(Buffer.alloc(0)), 't')).content.length, 0);
  });

  test('a wrong length in the trailer (the size hint) is still caught, and costs nothing else', async () => {
    const lying = Buffer.from(gz);
    lying.writeUInt32LE(10, lying.length - 4);
    for (const read of [async () => inflateSingleMember(lying, 't'), () => inflateSingleMemberAsync(lying, 't')]) {
      await assert.rejects(read, /CRC-32 or length does not match/);
    }
  });

  test('bytes after the member, a bad CRC and a broken stream are refused', async () => {
    await assert.rejects(inflateSingleMemberAsync(Buffer.concat([gz, Buffer.from([0])]), 't'), /1 bytes after the last gzip stream/);
    const badCrc = Buffer.from(gz);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(badCrc.length - 8) ^ 1) >>> 0, badCrc.length - 8);
    await assert.rejects(inflateSingleMemberAsync(badCrc, 't'), /CRC-32 or length does not match/);
    const broken = Buffer.from(gz);
    broken.fill(0xff, 12, 40);
    await assert.rejects(inflateSingleMemberAsync(broken, 't'), (e: Error & { code?: string }) => e.code === 'PACKAGE_INVALID');
  });
});
