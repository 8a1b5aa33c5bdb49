import type { BuildEnvironment } from './recipe-types.ts';
import { anyYaml, list, map, object, text, uint } from './schema-primitives.ts';

/**
 * A recipe's `environment:` (and `test.environment:`): an apko image configuration
 * (apko pkg/build/types ImageConfiguration, as melange embeds it). kiln reads contents,
 * environment and accounts; the rest of apko's keys are accepted and kept as parsed,
 * since melange accepts them, and anything else is an unknown key.
 */
const contents = object({
  repositories: list(text).optional(),
  build_repositories: list(text).optional(),
  runtime_repositories: list(text).optional(),
  keyring: list(text).optional(),
  packages: list(text).optional(),
  baseimage: anyYaml.optional(),
});

const user = object({
  username: text,
  uid: uint.optional(),
  gid: uint.optional(),
  shell: text.optional(),
  homedir: text.optional(),
});

const group = object({
  groupname: text,
  gid: uint.optional(),
  members: list(text).optional(),
});

const accounts = object({
  'run-as': text.optional(),
  users: list(user).optional(),
  groups: list(group).optional(),
});

/** apko keys melange accepts in an environment that kiln keeps without interpreting. */
const OTHER_KEYS = ['entrypoint', 'cmd', 'stop-signal', 'work-dir', 'paths', 'annotations', 'include', 'volumes', 'vcs-url', 'layering', 'certificates'] as const;

export const environmentSchema = object({
  contents: contents.optional(),
  environment: map(text).optional(),
  accounts: accounts.optional(),
  archs: list(text).optional(),
  entrypoint: anyYaml.optional(),
  cmd: anyYaml.optional(),
  'stop-signal': anyYaml.optional(),
  'work-dir': anyYaml.optional(),
  paths: anyYaml.optional(),
  annotations: anyYaml.optional(),
  include: anyYaml.optional(),
  volumes: anyYaml.optional(),
  'vcs-url': anyYaml.optional(),
  layering: anyYaml.optional(),
  certificates: anyYaml.optional(),
}).transform((e): BuildEnvironment => {
  const other: Record<string, unknown> = {};
  for (const k of OTHER_KEYS) if (e[k] !== undefined) other[k] = e[k];
  const c = e.contents;
  const a = e.accounts;
  return {
    contents: {
      repositories: c?.repositories ?? [],
      buildRepositories: c?.build_repositories ?? [],
      runtimeRepositories: c?.runtime_repositories ?? [],
      keyring: c?.keyring ?? [],
      packages: c?.packages ?? [],
    },
    environment: { ...e.environment },
    accounts: {
      ...(a?.['run-as'] !== undefined && { runAs: a['run-as'] }),
      users: (a?.users ?? []).map((u) => ({
        username: u.username,
        ...(u.uid !== undefined && { uid: u.uid }),
        ...(u.gid !== undefined && { gid: u.gid }),
        ...(u.shell !== undefined && { shell: u.shell }),
        ...(u.homedir !== undefined && { homedir: u.homedir }),
      })),
      groups: (a?.groups ?? []).map((g) => ({ groupname: g.groupname, ...(g.gid !== undefined && { gid: g.gid }), members: g.members ?? [] })),
    },
    archs: e.archs ?? [],
    other,
  };
});

/** The environment of a recipe that wrote none. */
export const EMPTY_ENVIRONMENT: BuildEnvironment = {
  contents: { repositories: [], buildRepositories: [], runtimeRepositories: [], keyring: [], packages: [] },
  environment: {},
  accounts: { users: [], groups: [] },
  archs: [],
  other: {},
};
