import { readTarEntries, type RawTarEntry } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';
import { readArArchive } from './ar-archive.ts';
import { parseDebControl, type DebControl } from './deb-control.ts';
import { decompressMember } from './decompress-member.ts';

/** One entry of a .deb's data tar as written there (`./usr/bin/x`), before any checks. */
export type DebTarEntry = RawTarEntry;

/** A Debian binary package, read but not yet judged. */
export type DebPackage = {
  readonly control: DebControl;
  /** control.tar's files by name (`control`, `postinst`, `conffiles`, `md5sums`, …). */
  readonly controlFiles: ReadonlyMap<string, Buffer>;
  readonly data: readonly DebTarEntry[];
};

/** Maintainer scripts dpkg would run; kiln never runs them, and records which a package had. */
export const MAINTAINER_SCRIPTS: readonly string[] = ['config', 'postinst', 'postrm', 'preinst', 'prerm'];

/**
 * Reads a .deb: `debian-binary` (format 2.x), then `control.tar*`, then `data.tar*`, as
 * dpkg requires them in this order; members starting with "_" are skipped as dpkg does.
 */
export async function readDeb(bytes: Buffer, where: string): Promise<DebPackage> {
  const members = readArArchive(bytes, where).filter((m) => !m.name.startsWith('_'));
  const [binary, control, data, ...extra] = members;
  if (binary?.name !== 'debian-binary' || !/^2\.[0-9]+\n/.test(binary.content.toString('latin1'))) {
    throw new KilnError('DEB_INVALID', `${where}: the first member must be debian-binary holding "2.0"; found ${JSON.stringify(binary?.name ?? '(none)')}`);
  }
  if (control === undefined || !/^control\.tar(\.(gz|xz|zst))?$/.test(control.name)) {
    throw new KilnError('DEB_INVALID', `${where}: the second member must be control.tar[.gz|.xz|.zst]; found ${JSON.stringify(control?.name ?? '(none)')}`);
  }
  if (data === undefined || !/^data\.tar(\.(gz|xz|zst))?$/.test(data.name)) {
    throw new KilnError('DEB_INVALID', `${where}: the third member must be data.tar[.gz|.xz|.zst]; found ${JSON.stringify(data?.name ?? '(none)')}`);
  }
  if (extra.length > 0) throw new KilnError('DEB_INVALID', `${where}: unexpected member ${JSON.stringify(extra[0]?.name)} after ${data.name}`);
  const controlEntries = await readTarEntries(await decompressMember(control.name, control.content, where), `${where}: ${control.name}`, 'DEB_INVALID');
  const controlFiles = new Map<string, Buffer>();
  for (const e of controlEntries) {
    const name = e.name.replace(/^\.\//, '');
    if (e.type !== 'file') continue;
    if (name.includes('/')) throw new KilnError('DEB_INVALID', `${where}: ${control.name}: unexpected nested entry ${JSON.stringify(e.name)}`);
    controlFiles.set(name, e.content);
  }
  const controlText = controlFiles.get('control');
  if (controlText === undefined) throw new KilnError('DEB_INVALID', `${where}: ${control.name} has no control file`);
  return {
    control: parseDebControl(controlText.toString('utf8'), `${where}: control`),
    controlFiles,
    data: await readTarEntries(await decompressMember(data.name, data.content, where), `${where}: ${data.name}`, 'DEB_INVALID'),
  };
}
