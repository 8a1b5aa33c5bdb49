import { posix } from 'node:path';
import { KilnError } from '../../errors/index.ts';
import { SANDBOX_DESTDIR_ROOT, SANDBOX_GID, SANDBOX_UID, SANDBOX_WORKSPACE } from './sandbox-options.ts';

/** Everything bwrap needs, already resolved and checked; bwrapArgs only lays it out. */
export type BwrapPlan = {
  readonly rootfs: string;
  readonly workspace: string;
  /** [package name, host directory], sorted by name. */
  readonly destdirs: readonly (readonly [string, string])[];
  readonly mounts: readonly { readonly host: string; readonly sandbox: string; readonly writable: boolean }[];
  /** Directories of the rootfs that get a fresh tmpfs (they must exist in it). */
  readonly tmpfs: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly shell: string;
  readonly script: string;
  /** File descriptors carrying generated /etc/passwd and /etc/group, when the rootfs has them. */
  readonly passwdFd?: number;
  readonly groupFd?: number;
};

const PACKAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function destdirInSandbox(name: string): string {
  if (!PACKAGE_NAME.test(name)) {
    throw new KilnError('INPUT_INVALID', `destdir ${JSON.stringify(name)}: expected a package name ([A-Za-z0-9._+-], no slash)`);
  }
  return `${SANDBOX_DESTDIR_ROOT}/${name}`;
}

/** An absolute, normalised path inside the sandbox that does not shadow the sandbox's own mounts. */
export function checkSandboxPath(path: string, where: string): string {
  if (!posix.isAbsolute(path) || posix.normalize(path) !== path || path.includes('\0') || path === '/') {
    throw new KilnError('INPUT_INVALID', `${where} ${JSON.stringify(path)}: expected an absolute, normalised path below /`);
  }
  for (const reserved of ['/proc', '/dev']) {
    if (path === reserved || path.startsWith(`${reserved}/`)) {
      throw new KilnError('INPUT_INVALID', `${where} ${JSON.stringify(path)}: ${reserved} belongs to the sandbox`);
    }
  }
  return path;
}

/**
 * The bubblewrap command line (without the leading `bwrap`).
 *
 * Identity: the build runs as uid/gid 1000 in a new user namespace rather than as root in it.
 * kiln runs as host root, so the namespace maps that one uid to host root and nothing else; a
 * non-zero uid inside means bwrap drops every capability, so the build cannot mount, chown to
 * other users or undo the read-only mounts, and tools that behave differently as root (make
 * install's chown, tar's owner preservation) behave as they would for an ordinary builder.
 * Host-root-owned files appear owned by 1000 inside, which is why the workspace is writable
 * and why the rootfs must be (and is) mounted read-only.
 */
export function bwrapArgs(plan: BwrapPlan): string[] {
  const args: string[] = [
    '--unshare-user',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_GID),
    // an empty network namespace: only a loopback that is down, so no connection goes anywhere
    '--unshare-net',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname', 'kiln-build',
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--clearenv',
    '--ro-bind', plan.rootfs, '/',
    '--proc', '/proc',
    '--dev', '/dev',
  ];
  for (const dir of plan.tmpfs) args.push('--tmpfs', dir);
  // a tmpfs over /home both hides whatever the rootfs keeps there and gives the read-only root a
  // writable place to create the workspace's mount point
  args.push('--tmpfs', '/home', '--bind', plan.workspace, SANDBOX_WORKSPACE);
  for (const [name, host] of plan.destdirs) args.push('--bind', host, destdirInSandbox(name));
  for (const m of plan.mounts) args.push(m.writable ? '--bind' : '--ro-bind', m.host, checkSandboxPath(m.sandbox, 'mount'));
  if (plan.passwdFd !== undefined) args.push('--ro-bind-data', String(plan.passwdFd), '/etc/passwd');
  if (plan.groupFd !== undefined) args.push('--ro-bind-data', String(plan.groupFd), '/etc/group');
  for (const [name, value] of Object.entries(plan.env)) args.push('--setenv', name, value);
  args.push('--chdir', plan.workdir);
  // bwrap 0.8 has no --umask; the first shell sets it and execs the real one, which keeps the
  // script a separate argument (never spliced into a command string)
  args.push('/bin/sh', '-c', 'umask 022 && exec "$@"', 'kiln-sandbox', plan.shell, '-e', '-c', plan.script);
  return args;
}
