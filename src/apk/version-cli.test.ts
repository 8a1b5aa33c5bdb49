import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { runKilnInProcess } from '../cli/run-kiln-in-process.ts';

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));

const kiln = (...args: string[]) => runKilnInProcess(args);

void describe('kiln apk version', () => {
  void test('prints <, = or > and exits 0', async () => {
    assert.deepEqual(await kiln('apk', 'version', '1.2.3-r0', '1.2.3_rc1'), { status: 0, stdout: '>\n', stderr: '' });
    assert.equal((await kiln('apk', 'version', '1.0', '1.0')).stdout, '=\n');
    assert.equal((await kiln('apk', 'version', '--json', '1.0_alpha', '1.0')).stdout, '{"a":"1.0_alpha","b":"1.0","result":"<"}\n');
  });

  void test('an invalid version is an input error naming the part (exit 2)', async () => {
    const r = await kiln('apk', 'version', '1.2_foo', '1.0');
    assert.deepEqual(r, {
      status: 2,
      stdout: '',
      stderr: 'error[VERSION_INVALID] A: "1.2_foo": unknown suffix "_foo" at position 3; expected _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p\n',
    });
  });

  void test('the real process exits with that status', () => {
    const r = spawnSync(process.execPath, [MAIN, 'apk', 'version', '1..2', '1'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error\[VERSION_INVALID\] A: "1\.\.2": expected digits after "\." at position 1/);
  });
});
