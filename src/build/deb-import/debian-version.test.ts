import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { compareApkVersions } from '../../apk/index.ts';
import { debianToApkVersion, parseDebianVersion } from './debian-version.ts';

describe('Debian → APK version mapping', () => {
  test('the documented table', () => {
    const table: readonly [string, string][] = [
      ['2.36-9+deb12u14', '2.36_cvs9_p12_p14'],
      ['2024a-0+deb12u1', '2024a_cvs0_p12_p1'],
      ['3.0.15-1~deb12u1', '3.0.15_cvs1_pre12_p1'],
      ['6.4', '6.4'],
      ['1:9.18.28-1~deb12u2', '9.18.28_cvs1_pre12_p2'],
      ['20230311+deb12u1', '20230311_p12_p1'],
      ['5.2.15-2+b7', '5.2.15_cvs2_p7'],
      ['2.9.14+dfsg-1.3~deb12u1', '2.9.14_p0_cvs1_p3_pre12_p1'],
      ['3.11.0~rc1-1', '3.11.0_rc1_cvs1'],
      ['3.11.0~b5-1', '3.11.0_beta5_cvs1'],
      ['1:9.2p1-2+deb12u3', '9.2p_p1_cvs2_p12_p3'],
      ['1.0-1~bpo12+1', '1.0_cvs1_pre12_p1'],
      ['1.02-01', '1.2_cvs1'],
      ['2.0.5~', '2.0.5_pre0'],
    ];
    for (const [deb, apk] of table) assert.equal(debianToApkVersion(deb), apk, deb);
  });

  test('parses epoch, upstream and revision as dpkg splits them', () => {
    assert.deepEqual(parseDebianVersion('1:9.2p1-2+deb12u3'), { epoch: 1, upstream: '9.2p1', revision: '2+deb12u3' });
    assert.deepEqual(parseDebianVersion('1.2-3-4'), { epoch: 0, upstream: '1.2-3', revision: '4' });
    assert.deepEqual(parseDebianVersion('6.4'), { epoch: 0, upstream: '6.4' });
    for (const bad of ['', 'abc', '1.0-', 'a:1.0', '1.0 beta']) assert.throws(() => parseDebianVersion(bad), { code: 'VERSION_INVALID' }, bad);
  });

  // versions one package really had, grouped by package (mapping drops the epoch, so a
  // group shares one); every pair inside a group must order as dpkg orders it
  const groups: readonly (readonly string[])[] = [
    ['2.31-13+deb11u11', '2.36-8', '2.36-9', '2.36-9+deb12u1', '2.36-9+deb12u7', '2.36-9+deb12u10', '2.36-9+deb12u14', '2.36-10', '2.37-1', '2.37-0experimental1'],
    ['2024a-0+deb11u1', '2024a-0+deb12u1', '2024a-1', '2024b-0+deb12u1', '2025b-0+deb12u1', '2026f-0+deb12u1'],
    ['3.0.11-1~deb12u2', '3.0.13-1~deb12u1', '3.0.15-1~deb12u1', '3.0.15-1', '3.0.16-1~deb12u1', '3.0.17-1~deb12u2', '3.1.0~alpha1-1', '3.1.0~beta2-1', '3.1.0-1'],
    ['12.2.0-13', '12.2.0-14', '12.2.0-14+deb12u1', '12.3.0-1'],
    ['20210119', '20230311', '20230311+deb12u1', '20240203'],
    ['2.9.13+dfsg-1', '2.9.14+dfsg-1.2', '2.9.14+dfsg-1.3~deb12u1', '2.9.14+dfsg-1.3~deb12u2', '2.9.14+dfsg-1.3', '2.10.3+dfsg-1'],
    ['1:9.2p1-2+deb12u3', '1:9.2p1-2+deb12u5', '1:9.6p1-1', '1:9.2p2-1'],
    ['1:1.2.13.dfsg-1', '1:1.3.dfsg-3', '1:1.3.dfsg-3.1'],
    ['5.2.15-2+b7', '5.2.15-2+b8', '5.2.15-3', '5.2.21-2'],
    ['3.11.0~b5-1', '3.11.0~rc1-1', '3.11.0-1', '3.11.2-6', '3.11.2-6+deb12u1', '3.11.4-1'],
    ['7.88.1-10+deb12u8', '7.88.1-10+deb12u12', '8.0.0~rc1-1', '8.0.0-1'],
    ['18.19.0+dfsg-6', '18.19.0+dfsg-6~deb12u2', '18.20.4+dfsg-1~deb12u1'],
    ['1.2+dfsg-3', '1.2+dfsg1-3', '1.2+dfsg1.1-1', '1.2.1-1'],
    ['1.0-0.1', '1.0-1~bpo12+1', '1.0-1', '1.0-1.1', '1.0-2'],
    ['0.1-1', '0.9-1', '0.10-1', '1.0-1'],
    ['1.1.1n-0+deb11u5', '1.1.1w-0+deb11u1', '1.1.1w-0+deb11u2'],
  ];

  const dpkg = spawnSync('dpkg', ['--version'], { encoding: 'utf8' });
  test('orders every pair of real-looking versions as dpkg --compare-versions does', { skip: dpkg.status !== 0 ? 'dpkg is not installed here' : false }, () => {
    let pairs = 0;
    for (const group of groups) {
      for (const a of group) {
        for (const b of group) {
          if (a >= b) continue;
          const lt = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
          const gt = spawnSync('dpkg', ['--compare-versions', a, 'gt', b]).status === 0;
          const want = lt ? -1 : gt ? 1 : 0;
          const got = compareApkVersions(debianToApkVersion(a), debianToApkVersion(b));
          assert.equal(got, want, `${a} vs ${b}: dpkg says ${want}, kiln's APK order of ${debianToApkVersion(a)} vs ${debianToApkVersion(b)} says ${got}`);
          pairs++;
        }
      }
    }
    assert.ok(pairs >= 30, `${pairs} pairs`);
  });
});
