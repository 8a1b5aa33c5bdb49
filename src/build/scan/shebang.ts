/** Interpreters melange leaves out of `cmd:` dependencies (the base image always has them). */
const IGNORED = new Set(['python3', 'python', 'sh', 'awk', 'luajit']);

/** How much of a file is read for its `#!` line, as melange reads it. */
export const SHEBANG_BYTES = 80;

/**
 * The interpreter command a script's `#!` line names, melange's way: the first word,
 * or for `/usr/bin/env X` (and `env -S X`) the word after it; undefined when the file
 * has no `#!` line, names an interpreter every system has (sh, awk, python, …), or is
 * an `env` line kiln cannot read a command from.
 */
export function shebangCommand(head: Uint8Array): string | undefined {
  const bytes = head.subarray(0, SHEBANG_BYTES);
  if (bytes.byteLength < 2 || bytes[0] !== 0x23 || bytes[1] !== 0x21) return undefined;
  let line = Buffer.from(bytes.subarray(2)).toString('latin1');
  const nl = line.indexOf('\n');
  if (nl >= 0) line = line.slice(0, nl);
  const words = line.split(/[ \t\r]+/).filter((w) => w !== '');
  let bin = words[0];
  if (bin === undefined) return undefined;
  if (bin === '/usr/bin/env') {
    if (words.length === 2) bin = words[1];
    else if (words.length >= 3 && words[1] === '-S' && !(words[2] ?? '-').startsWith('-')) bin = words[2];
    else return undefined;
  }
  const base = (bin ?? '').split('/').pop() ?? '';
  return base === '' || IGNORED.has(base) ? undefined : base;
}
