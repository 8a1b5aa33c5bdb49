import { KilnError } from '../../errors/index.ts';
import { homeDirOf, type Accounts, type AccountUser } from '../image-spec.ts';

/** What a root filesystem without any passwd of its own starts from. */
export const BASE_PASSWD = 'root:x:0:0:root:/root:/sbin/nologin\n';
export const BASE_GROUP = 'root:x:0:\n';

/** apko's choice when a user has no gid: a group with the user's uid. */
export function gidOf(user: AccountUser): number {
  return user.gid ?? user.uid;
}

function assertField(value: string, where: string): void {
  if (/[:\n\r\0]/.test(value)) throw new KilnError('CONFIG_INVALID', `${where}: ${JSON.stringify(value)} may not contain ":" or a line break`);
}

/**
 * Lines of an existing file with the configured entries merged in, as apko does
 * (package entries first, then the configured ones), except that a configured entry
 * replaces a package's entry with the same name instead of adding a second line that
 * tools would ignore.
 */
function merge(existing: string, entries: readonly { readonly name: string; readonly line: string }[]): string {
  const byName = new Map(entries.map((e) => [e.name, e.line]));
  const kept = existing
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const name = l.split(':')[0] ?? '';
      const replacement = byName.get(name);
      if (replacement === undefined) return l;
      byName.delete(name);
      return replacement;
    });
  return `${[...kept, ...byName.values()].join('\n')}\n`.replace(/^\n$/, '');
}

/** `/etc/passwd` with the configured users (`name:x:uid:gid:Account created by kiln:home:shell`). */
export function mergePasswd(existing: string | undefined, accounts: Accounts): string {
  return merge(
    existing ?? BASE_PASSWD,
    accounts.users.map((u, i) => {
      const where = `accounts.users[${i}]`;
      assertField(u.username, `${where}.username`);
      assertField(homeDirOf(u), `${where}.homedir`);
      // apko's default shell; an image without a shell simply cannot log that user in
      const shell = u.shell ?? '/bin/sh';
      assertField(shell, `${where}.shell`);
      return { name: u.username, line: `${u.username}:x:${u.uid}:${gidOf(u)}:Account created by kiln:${homeDirOf(u)}:${shell}` };
    }),
  );
}

/** `/etc/group` with the configured groups (`name:x:gid:member,member`). */
export function mergeGroup(existing: string | undefined, accounts: Accounts): string {
  return merge(
    existing ?? BASE_GROUP,
    accounts.groups.map((g, i) => {
      assertField(g.groupname, `accounts.groups[${i}].groupname`);
      g.members.forEach((m, j) => assertField(m, `accounts.groups[${i}].members[${j}]`));
      return { name: g.groupname, line: `${g.groupname}:x:${g.gid}:${g.members.join(',')}` };
    }),
  );
}
