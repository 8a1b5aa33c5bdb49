import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ociPlatformOf, archFromPlatform, parseArch } from './arch.ts';
import { parseImageConfigYaml } from './parse-image-config-yaml.ts';
import { splitShellWords } from './split-shell-words.ts';
import { MAX_YAML_BYTES } from '../yaml/index.ts';

// A realistic apko config (the shape of wolfi-dev/os images), every section used once.
const NGINX = `# nginx, apko style
contents:
  repositories:
    - https://packages.wolfi.dev/os
    - '@local ./packages'
  keyring:
    - https://packages.wolfi.dev/os/wolfi-signing.rsa.pub
  packages:
    - wolfi-baselayout
    - ca-certificates-bundle
    - nginx@local
    - openssl>=3.3

entrypoint:
  command: /usr/sbin/nginx -g "daemon off;"
cmd: -c /etc/nginx/nginx.conf
work-dir: /srv
stop-signal: SIGQUIT

environment:
  PORT: 8080
  DEBUG: true
  VERSION: 3.10

accounts:
  groups:
    - groupname: nginx
      gid: 65532
      members: [nginx]
  users:
    - username: nginx
      uid: 65532
      gid: 65532
      shell: /bin/sh
      homedir: /var/lib/nginx
  run-as: 65532

paths:
  - path: /run/nginx
    type: directory
    uid: 65532
    gid: 65532
    permissions: 0o755
    recursive: true
  - path: /var/log/nginx/access.log
    type: symlink
    source: /dev/stdout
  - path: /etc/nginx/empty
    type: empty-file
    permissions: 420

os-release:
  id: kiln
  name: Kiln
  pretty-name: Kiln Linux
  version-id: "2024.1"
  home-url: https://example.com
  bug-report-url: https://example.com/bugs

annotations:
  org.opencontainers.image.title: nginx
  com.example.team: web
vcs-url: https://github.com/example/images@0123abcd
volumes: [/var/cache/nginx]
archs:
  - x86_64
  - arm64
  - amd64
`;

function configError(text: string): string {
  try {
    parseImageConfigYaml(text, 'nginx.yaml');
  } catch (e) {
    assert.equal((e as { code?: string }).code, 'CONFIG_INVALID', String(e));
    return (e as Error).message;
  }
  assert.fail('expected a CONFIG_INVALID error');
}

describe('parseImageConfigYaml', () => {
  test('reads a realistic apko config', () => {
    const { spec, include } = parseImageConfigYaml(NGINX, 'nginx.yaml');
    assert.equal(include, undefined);
    assert.deepEqual(spec.contents.repositories, [{ url: 'https://packages.wolfi.dev/os' }, { tag: 'local', url: './packages' }]);
    assert.deepEqual(spec.contents.packages.map((p) => p.spec), ['wolfi-baselayout', 'ca-certificates-bundle', 'nginx@local', 'openssl>=3.3']);
    assert.equal(spec.contents.packages[2]?.constraint.tag, 'local');
    assert.equal(spec.contents.packages[2]?.constraint.name, 'nginx');
    assert.deepEqual(spec.entrypoint, { kind: 'command', text: '/usr/sbin/nginx -g "daemon off;"', argv: ['/usr/sbin/nginx', '-g', 'daemon off;'] });
    assert.deepEqual(spec.cmd?.argv, ['-c', '/etc/nginx/nginx.conf']);
    assert.equal(spec.workDir, '/srv');
    assert.equal(spec.stopSignal, 'SIGQUIT');
    // numbers and booleans stay the text that was written ("3.10", not 3.1)
    assert.deepEqual(spec.environment, { PORT: '8080', DEBUG: 'true', VERSION: '3.10' });
    assert.deepEqual(spec.accounts.runAs, { kind: 'uid', uid: 65532, text: '65532' });
    assert.deepEqual(spec.accounts.users, [{ username: 'nginx', uid: 65532, gid: 65532, shell: '/bin/sh', homedir: '/var/lib/nginx' }]);
    assert.deepEqual(spec.accounts.groups, [{ groupname: 'nginx', gid: 65532, members: ['nginx'] }]);
    assert.deepEqual(spec.paths, [
      { type: 'directory', path: '/run/nginx', uid: 65532, gid: 65532, permissions: 0o755, recursive: true },
      { type: 'symlink', path: '/var/log/nginx/access.log', uid: 0, gid: 0, source: '/dev/stdout' },
      { type: 'empty-file', path: '/etc/nginx/empty', uid: 0, gid: 0, permissions: 0o644 },
    ]);
    assert.deepEqual(spec.osRelease, {
      id: 'kiln', name: 'Kiln', prettyName: 'Kiln Linux', versionId: '2024.1', homeUrl: 'https://example.com', bugReportUrl: 'https://example.com/bugs',
    });
    assert.equal(spec.vcsUrl, 'https://github.com/example/images@0123abcd');
    assert.deepEqual(spec.volumes, ['/var/cache/nginx']);
    // x86_64 and amd64 are one architecture; APK spelling, sorted
    assert.deepEqual(spec.archs, ['aarch64', 'x86_64']);
  });

  test('permissions in octal (0o755, 0755), decimal and hex', () => {
    const perms = ['0o755', '0755', '493', '0x1ed'].map((p) => {
      const { spec } = parseImageConfigYaml(`paths:\n  - path: /x\n    type: permissions\n    permissions: ${p}\n`, 'p.yaml');
      return spec.paths[0]?.type === 'permissions' ? spec.paths[0].permissions : -1;
    });
    assert.deepEqual(perms, [0o755, 0o755, 0o755, 0o755]);
  });

  test('run-as by name; entrypoint forms; empty keys mean unset', () => {
    const named = parseImageConfigYaml('accounts:\n  run-as: nonroot\ncmd:\nentrypoint:\n  shell-fragment: echo "$HOME"\n', 'a.yaml').spec;
    assert.deepEqual(named.accounts.runAs, { kind: 'name', name: 'nonroot', text: 'nonroot' });
    assert.equal(named.cmd, undefined);
    assert.deepEqual(named.entrypoint, { kind: 'shell-fragment', fragment: 'echo "$HOME"' });
    const bundle = parseImageConfigYaml('entrypoint:\n  type: service-bundle\n  services:\n    nginx: /usr/sbin/nginx\n', 'b.yaml').spec;
    assert.deepEqual(bundle.entrypoint, { kind: 'service-bundle', services: { nginx: '/usr/sbin/nginx' } });
    assert.deepEqual(parseImageConfigYaml('', 'empty.yaml').spec.entrypoint, { kind: 'none' });
  });

  test('archs: all, OCI spellings, and the mapping both ways', () => {
    assert.equal(parseImageConfigYaml('archs: [all]\n', 'a.yaml').spec.archs.length, 9);
    assert.deepEqual(parseImageConfigYaml('archs: [arm/v7, "386"]\n', 'a.yaml').spec.archs, ['armv7', 'x86']);
    assert.equal(parseArch('amd64'), 'x86_64');
    assert.equal(parseArch('aarch64'), 'aarch64');
    assert.deepEqual(ociPlatformOf('x86_64'), { architecture: 'amd64', os: 'linux' });
    assert.deepEqual(ociPlatformOf('armv7'), { architecture: 'arm', os: 'linux', variant: 'v7' });
    assert.equal(archFromPlatform({ architecture: 'arm64' }), 'aarch64');
    assert.equal(archFromPlatform({ architecture: 'arm', variant: 'v6' }), 'armhf');
    assert.equal(archFromPlatform({ architecture: 'mips' }), undefined);
  });

  test('an unknown key is an error at its line and column', () => {
    const msg = configError('contents:\n  packages: [busybox]\n  pakages: [oops]\n');
    assert.equal(msg, 'nginx.yaml:3:3: contents.pakages: unknown key "pakages"');
    assert.match(configError('entrypoint:\n  command: /bin/sh\nextra: 1\n'), /^nginx\.yaml:3:1: extra: unknown key "extra"$/);
  });

  test('a wrong type is an error at the value, naming the field and what was found', () => {
    const msg = configError('accounts:\n  users:\n    - username: nginx\n      uid: abc\n');
    assert.equal(msg, 'nginx.yaml:4:12: accounts.users[0].uid: expected a whole number, found "abc"');
    assert.equal(configError('environment: [a, b]\n'), 'nginx.yaml:1:14: environment: expected a mapping, found a list');
    assert.equal(configError('contents:\n  packages:\n    a: b\n'), 'nginx.yaml:3:5: contents.packages: expected a list, found a mapping');
    assert.match(configError('paths:\n  - path: /x\n    type: fifo\n'), /^nginx\.yaml:3:11: paths\[0\]\.type: expected one of directory, empty-file/);
    // yaml.v3 reads YAML 1.1's yes/no/on/off into a typed bool, so only other words fail
    assert.match(configError('paths:\n  - path: /x\n    type: directory\n    recursive: maybe\n'), /4:16: paths\[0\]\.recursive: expected true or false, found "maybe"/);
    assert.match(configError('archs: [x86_64, sparc]\n'), /^nginx\.yaml:1:17: archs\[1\]: expected an architecture/);
    assert.match(configError('contents:\n  packages: ["bad name"]\n'), /^nginx\.yaml:2:14: contents\.packages\[0\]: /);
    assert.match(configError('cmd: echo "unclosed\n'), /^nginx\.yaml:1:6: cmd: cannot split/);
    assert.match(configError('environment:\n  A=B: c\n'), /^nginx\.yaml:2:8: environment\.A=B: environment variable name "A=B"/);
    assert.match(configError('accounts:\n  users:\n    - {username: r, uid: 0}\n'), /^nginx\.yaml:3:26: accounts\.users\[0\]\.uid: a configured user cannot have uid 0/);
    assert.match(configError('hello\n'), /^nginx\.yaml:1:1: \(root\): expected a mapping, found "hello"$/);
  });

  test('several problems are listed in file order', () => {
    const lines = configError('archs: [sparc]\nbogus: 1\naccounts:\n  users:\n    - uid: 1\n').split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', /^nginx\.yaml:1:/);
    assert.match(lines[1] ?? '', /^nginx\.yaml:2:1: bogus: unknown key/);
    assert.match(lines[2] ?? '', /^nginx\.yaml:5:7: accounts\.users\[0\]\.username: expected text, found nothing/);
  });

  test('malformed YAML and duplicate keys are reported with their position', () => {
    assert.match(configError('contents:\n  packages: [a, b\nentrypoint: {}\n'), /^nginx\.yaml:\d+:\d+: malformed YAML: /);
    assert.match(configError('cmd: a\ncmd: b\n'), /^nginx\.yaml:2:1: malformed YAML: Map keys must be unique/);
  });

  test('huge inputs and alias bombs are refused', () => {
    assert.match(configError(`cmd: "${'x'.repeat(MAX_YAML_BYTES)}"\n`), /larger than 1048576 bytes are refused/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(', ')}]`);
    assert.match(configError(bomb.join('\n')), /aliases expand to more than/);
  });
});

describe('splitShellWords', () => {
  test('quotes and escapes as a shell reads them', () => {
    assert.deepEqual(splitShellWords(`a 'b c' "d \\"e\\" $f" g\\ h  `), { argv: ['a', 'b c', 'd "e" $f', 'g h'] });
    assert.deepEqual(splitShellWords(''), { argv: [] });
    assert.deepEqual(splitShellWords("''"), { argv: [''] });
    assert.ok('error' in splitShellWords('"open'));
  });
});
