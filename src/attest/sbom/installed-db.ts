import { KilnError } from '../../errors/index.ts';

/** One package as `lib/apk/db/installed` records it. */
export type InstalledPackage = {
  readonly name: string;
  readonly version: string;
  readonly arch?: string;
  readonly license?: string;
  readonly origin?: string;
  readonly checksum?: string;
  /** Paths the package owns (directories `F:` and files `R:`), relative to the root. */
  readonly paths: readonly string[];
};

export const INSTALLED_DB_PATH = 'lib/apk/db/installed';

/**
 * Parses apk-tools' installed database: blank-line separated records of `K:value` lines;
 * `F:` opens a directory and the `R:` lines after it are files in it. Only the fields the
 * SBOM checks need are kept; unknown keys are skipped, as apk itself does.
 */
export function parseInstalledDb(text: string, where = INSTALLED_DB_PATH): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  const records = text.split(/\n[ \t]*\n/);
  let line = 1;
  for (const record of records) {
    const fields: Record<string, string> = {};
    const paths: string[] = [];
    let dir = '';
    const startLine = line;
    for (const raw of record.split('\n')) {
      line++;
      if (raw.trim() === '') continue;
      const m = /^([A-Za-z]):(.*)$/.exec(raw);
      if (!m) throw new KilnError('INPUT_INVALID', `${where}:${line - 1}: expected K:value, found ${JSON.stringify(raw.slice(0, 80))}`);
      const [, key, value] = m as unknown as [string, string, string];
      if (key === 'F') {
        dir = value;
        paths.push(value);
      } else if (key === 'R') {
        paths.push(dir === '' ? value : `${dir}/${value}`);
      } else if (!(key in fields)) {
        fields[key] = value;
      }
    }
    line++; // the blank separator line
    if (Object.keys(fields).length === 0 && paths.length === 0) continue;
    const name = fields['P'];
    const version = fields['V'];
    if (name === undefined || version === undefined) {
      throw new KilnError('INPUT_INVALID', `${where}:${startLine}: a record without P: (name) or V: (version)`);
    }
    out.push({
      name,
      version,
      ...(fields['A'] !== undefined && { arch: fields['A'] }),
      ...(fields['L'] !== undefined && { license: fields['L'] }),
      ...(fields['o'] !== undefined && { origin: fields['o'] }),
      ...(fields['C'] !== undefined && { checksum: fields['C'] }),
      paths,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
