import { z } from 'zod';
import { bool, describeFound, list, map, object, text, uintMax } from '../yaml/index.ts';
import { isKilnError } from '../errors/index.ts';
import { parseApkConstraint } from '../apk/index.ts';
import { ALL_ARCHS, ARCH_SPELLINGS, hostArch, parseArch, type Arch } from './arch.ts';
import { splitShellWords } from './split-shell-words.ts';
import type { CommandLine, Entrypoint, ImageSpec, PathMutation, RepositoryRef, RunAs } from './image-spec.ts';

/**
 * The apko image configuration schema (chainguard-dev/apko pkg/build/types), read from
 * YAML whose scalars are all text (see src/yaml): fields apko types as integers
 * or booleans are converted here, everything else stays text. Unknown keys are errors,
 * as apko's KnownFields(true) makes them. Includes `os-release` (older apko) as well as
 * `build_repositories`, `runtime_repositories`, `certificates` and `layering` (newer).
 */

const UINT32_MAX = 0xffff_ffff;
const uint32 = uintMax(UINT32_MAX);

const repository = text.transform((s, ctx): RepositoryRef => {
  const tagged = /^@([A-Za-z0-9._-]+)\s+(\S.*)$/.exec(s.trim());
  if (tagged) return { tag: tagged[1] ?? '', url: (tagged[2] ?? '').trim() };
  if (s.startsWith('@')) {
    ctx.addIssue({ code: 'custom', message: `expected "@TAG URL-OR-DIRECTORY", found ${describeFound(s)}` });
    return z.NEVER;
  }
  if (s.trim() === '') {
    ctx.addIssue({ code: 'custom', message: 'expected a repository URL or directory, found empty text' });
    return z.NEVER;
  }
  return { url: s.trim() };
});

const packageRequest = text.transform((s, ctx) => {
  try {
    return { spec: s, constraint: parseApkConstraint(s.trim()) };
  } catch (e) {
    if (!isKilnError(e)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message });
    return z.NEVER;
  }
});

const arch = text.transform((s, ctx): readonly Arch[] => {
  if (s === 'all') return ALL_ARCHS;
  if (s === 'host') {
    const host = hostArch();
    if (host !== undefined) return [host];
    ctx.addIssue({ code: 'custom', message: `host: this machine's architecture (${process.arch}) is not one kiln builds for` });
    return z.NEVER;
  }
  const a = parseArch(s);
  if (a === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected an architecture (${ARCH_SPELLINGS.join(', ')}, all or host), found ${describeFound(s)}` });
    return z.NEVER;
  }
  return [a];
});

const runAs = text.transform((s, ctx): RunAs => {
  const t = s.trim();
  if (/^[0-9]+$/.test(t)) {
    const uid = Number(t);
    if (uid <= UINT32_MAX) return { kind: 'uid', uid, text: t };
  }
  if (t === '' || /\s/.test(t)) {
    ctx.addIssue({ code: 'custom', message: `expected a user name or a uid, found ${describeFound(s)}` });
    return z.NEVER;
  }
  return { kind: 'name', name: t, text: t };
});

// `NAME=value` in the OCI config: a name with "=" (or none) cannot be written there.
const environment = map(text).superRefine((env, ctx) => {
  for (const name of Object.keys(env)) {
    if (name === '' || name.includes('=')) {
      ctx.addIssue({ code: 'custom', path: [name], message: `environment variable name ${describeFound(name)} is empty or contains "="` });
    }
  }
});

const PATH_TYPES = ['directory', 'empty-file', 'hardlink', 'symlink', 'permissions'] as const;

const pathMutation = object({
  path: text,
  type: z.enum(PATH_TYPES, { error: (iss) => `expected one of ${PATH_TYPES.join(', ')}, found ${describeFound(iss.input)}` }),
  uid: uint32.optional(),
  gid: uint32.optional(),
  permissions: uint32.optional(),
  source: text.optional(),
  recursive: bool.optional(),
}).transform((p, ctx): PathMutation => {
  const owner = { path: p.path, uid: p.uid ?? 0, gid: p.gid ?? 0 };
  if (p.path.trim() === '') {
    ctx.addIssue({ code: 'custom', path: ['path'], message: 'expected a path, found empty text' });
  }
  if (p.permissions !== undefined && p.permissions > 0o7777) {
    ctx.addIssue({ code: 'custom', path: ['permissions'], message: `expected permission bits (at most 0o7777), found 0o${p.permissions.toString(8)}` });
  }
  switch (p.type) {
    case 'directory':
      return { ...owner, type: p.type, permissions: p.permissions ?? 0o755, recursive: p.recursive ?? false };
    case 'empty-file':
      return { ...owner, type: p.type, permissions: p.permissions ?? 0o644 };
    case 'permissions':
      return { ...owner, type: p.type, permissions: p.permissions ?? 0, recursive: p.recursive ?? false };
    case 'symlink':
    case 'hardlink':
      if (p.source === undefined || p.source === '') {
        ctx.addIssue({ code: 'custom', path: ['source'], message: `a ${p.type} needs source: the path it points to` });
        return z.NEVER;
      }
      return p.type === 'symlink'
        ? { ...owner, type: p.type, source: p.source }
        : { ...owner, type: p.type, source: p.source, permissions: p.permissions ?? 0o644 };
  }
});

const commandLine = text.transform((s, ctx): CommandLine => {
  const r = splitShellWords(s);
  if ('error' in r) {
    ctx.addIssue({ code: 'custom', message: `cannot split ${describeFound(s)} into words: ${r.error}` });
    return z.NEVER;
  }
  return { text: s, argv: r.argv };
});

const ENTRYPOINT_TYPES = ['service-bundle'] as const;

const entrypoint = object({
  type: z.enum(ENTRYPOINT_TYPES, { error: (iss) => `expected service-bundle (the only entrypoint type), found ${describeFound(iss.input)}` }).optional(),
  command: commandLine.optional(),
  'shell-fragment': text.optional(),
  services: map(text).optional(),
}).transform((e): Entrypoint => {
  if (e.type === 'service-bundle') return { kind: 'service-bundle', services: { ...e.services } };
  // apko prefers the shell fragment when both are set.
  if (e['shell-fragment'] !== undefined && e['shell-fragment'] !== '') return { kind: 'shell-fragment', fragment: e['shell-fragment'] };
  if (e.command !== undefined && e.command.argv.length > 0) return { kind: 'command', ...e.command };
  return { kind: 'none' };
});

const user = object({
  username: text.min(1, 'expected a user name, found empty text'),
  uid: uint32,
  gid: uint32.optional(),
  shell: text.optional(),
  homedir: text.optional(),
}).superRefine((u, ctx) => {
  // as apko's Validate: root exists already; a second uid-0 account is a mistake
  if (u.uid === 0) ctx.addIssue({ code: 'custom', path: ['uid'], message: 'a configured user cannot have uid 0 (to run as root, use run-as: 0)' });
});

const group = object({
  groupname: text.min(1, 'expected a group name, found empty text'),
  gid: uint32,
  members: list(text).optional(),
});

const contents = object({
  repositories: list(repository).optional(),
  build_repositories: list(repository).optional(),
  runtime_repositories: list(repository).optional(),
  keyring: list(text).optional(),
  packages: list(packageRequest).optional(),
});

const osRelease = object({
  id: text.optional(),
  name: text.optional(),
  'pretty-name': text.optional(),
  'version-id': text.optional(),
  'home-url': text.optional(),
  'bug-report-url': text.optional(),
});

/** The whole file. The output is the {@link ImageSpec} plus the unresolved `include`. */
export const ImageConfigYamlSchema = object({
  contents: contents.optional(),
  entrypoint: entrypoint.optional(),
  cmd: commandLine.optional(),
  'stop-signal': text.optional(),
  'work-dir': text.optional(),
  accounts: object({
    'run-as': runAs.optional(),
    users: list(user).optional(),
    groups: list(group).optional(),
  }).optional(),
  archs: list(arch).optional(),
  environment: environment.optional(),
  paths: list(pathMutation).optional(),
  'os-release': osRelease.optional(),
  'vcs-url': text.optional(),
  annotations: map(text).optional(),
  include: text.min(1, 'expected a file name, found empty text').optional(),
  volumes: list(text).optional(),
  layering: object({ strategy: text.optional(), budget: uint32.optional() }).optional(),
  certificates: object({ additional: list(object({ name: text, content: text })).optional() }).optional(),
}).transform((c): { spec: ImageSpec; include?: string } => {
  const spec: ImageSpec = {
    contents: {
      repositories: c.contents?.repositories ?? [],
      buildRepositories: c.contents?.build_repositories ?? [],
      runtimeRepositories: c.contents?.runtime_repositories ?? [],
      keyring: c.contents?.keyring ?? [],
      packages: c.contents?.packages ?? [],
    },
    entrypoint: c.entrypoint ?? { kind: 'none' },
    ...(c.cmd !== undefined && c.cmd.argv.length > 0 && { cmd: c.cmd }),
    ...(c['work-dir'] !== undefined && c['work-dir'] !== '' && { workDir: c['work-dir'] }),
    ...(c['stop-signal'] !== undefined && c['stop-signal'] !== '' && { stopSignal: c['stop-signal'] }),
    environment: { ...c.environment },
    accounts: {
      ...(c.accounts?.['run-as'] !== undefined && { runAs: c.accounts['run-as'] }),
      users: (c.accounts?.users ?? []).map((u) => ({
        username: u.username,
        uid: u.uid,
        ...(u.gid !== undefined && { gid: u.gid }),
        ...(u.shell !== undefined && { shell: u.shell }),
        ...(u.homedir !== undefined && { homedir: u.homedir }),
      })),
      groups: (c.accounts?.groups ?? []).map((g) => ({ groupname: g.groupname, gid: g.gid, members: g.members ?? [] })),
    },
    paths: c.paths ?? [],
    annotations: { ...c.annotations },
    archs: [...new Set((c.archs ?? []).flat())].sort(),
    volumes: c.volumes ?? [],
    ...(c['os-release'] !== undefined && {
      osRelease: {
        ...(c['os-release'].id !== undefined && { id: c['os-release'].id }),
        ...(c['os-release'].name !== undefined && { name: c['os-release'].name }),
        ...(c['os-release']['pretty-name'] !== undefined && { prettyName: c['os-release']['pretty-name'] }),
        ...(c['os-release']['version-id'] !== undefined && { versionId: c['os-release']['version-id'] }),
        ...(c['os-release']['home-url'] !== undefined && { homeUrl: c['os-release']['home-url'] }),
        ...(c['os-release']['bug-report-url'] !== undefined && { bugReportUrl: c['os-release']['bug-report-url'] }),
      },
    }),
    ...(c['vcs-url'] !== undefined && c['vcs-url'] !== '' && { vcsUrl: c['vcs-url'] }),
    ...(c.layering !== undefined && {
      layering: {
        ...(c.layering.strategy !== undefined && { strategy: c.layering.strategy }),
        ...(c.layering.budget !== undefined && { budget: c.layering.budget }),
      },
    }),
    certificates: c.certificates?.additional ?? [],
  };
  return { spec, ...(c.include !== undefined && { include: c.include }) };
});
