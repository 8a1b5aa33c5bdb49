import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerPackageImport } from './package-import.ts';

// The command is registered by the `kiln package` group's owner; here it hangs off a bare group.
function program(): { program: Command; out: () => string } {
  let out = '';
  const root = new Command('kiln').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  const pkg = root.command('package').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  registerPackageImport(pkg);
  for (const c of pkg.commands) c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  return { program: root, out: () => out };
}

test('import-deb is added to the given command with its flags', async () => {
  const { program: p, out } = program();
  await assert.rejects(p.parseAsync(['package', 'import-deb', '--help'], { from: 'user' }), { code: 'commander.helpDisplayed' });
  for (const flag of ['--repo', '--key', '--state', '--arch', '--with-deps', '--json']) assert.match(out(), new RegExp(flag));
});

test('--repo is required and a bad package name is bad usage (exit 2)', async () => {
  const { program: p } = program();
  await assert.rejects(p.parseAsync(['package', 'import-deb', 'libc6'], { from: 'user' }), { code: 'commander.missingMandatoryOptionValue' });
  const saved = process.exitCode;
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    await program().program.parseAsync(['package', 'import-deb', 'Not_A_Name', '--repo', '/nonexistent'], { from: 'user' });
    assert.equal(process.exitCode, 2);
    assert.match(err, /error\[USAGE\] "Not_A_Name": expected a Debian package/);
  } finally {
    process.stderr.write = write;
    process.exitCode = saved;
  }
});
