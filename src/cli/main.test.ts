import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const MAIN = join(import.meta.dirname, 'main.ts');
const kiln = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });

test('--help lists the commands and exits 0', () => {
  const r = kiln('--help');
  assert.equal(r.status, 0);
  for (const c of ['serve', 'doctor']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

test('an unknown command or option is bad usage: exit 2', () => {
  assert.equal(kiln('no-such-command').status, 2);
  assert.equal(kiln('doctor', '--no-such-flag').status, 2);
});

test('doctor --json reports every host tool with its Debian package', () => {
  const r = kiln('doctor', '--json');
  const report = JSON.parse(r.stdout) as { tools: { command: string; package: string; present: boolean }[]; install: string | null };
  const commands = report.tools.map((t) => t.command);
  for (const c of ['bwrap', 'runc', 'skopeo', 'umoci', 'docker-registry']) assert.ok(commands.includes(c), c);
  const missing = report.tools.filter((t) => !t.present);
  assert.equal(r.status, missing.length ? 1 : 0);
  assert.equal(report.install, missing.length ? `apt-get install -y ${missing.map((t) => t.package).join(' ')}` : null);
});

test('doctor names what is missing and how to install it', () => {
  const r = spawnSync(process.execPath, [MAIN, 'doctor'], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  assert.equal(r.status, 1);
  assert.match(r.stdout, /MISSING bwrap/);
  assert.match(r.stdout, /apt-get install -y bubblewrap runc skopeo umoci docker-registry/);
});
