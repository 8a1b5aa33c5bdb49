/**
 * Splits a command line into argv the way a POSIX shell would without expanding
 * anything (apko splits `entrypoint.command` and `cmd` with google/shlex): blanks
 * separate words, '…' keeps everything literally, "…" keeps everything but lets a
 * backslash escape \ " $ ` and a newline, and a backslash outside quotes escapes the
 * next character. Returns the reason instead when a quote is left open.
 */
export function splitShellWords(line: string): { readonly argv: readonly string[] } | { readonly error: string } {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: `a ' opened at column ${i + 1} is never closed` };
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= line.length) return { error: `a " opened at column ${i + 1} is never closed` };
        const d = line[j] ?? '';
        if (d === '"') break;
        const next = line[j + 1];
        if (d === '\\' && next !== undefined && '\\"$`\n'.includes(next)) {
          if (next !== '\n') word += next;
          j += 2;
        } else {
          word += d;
          j++;
        }
      }
      i = j + 1;
    } else if (c === '\\') {
      const next = line[i + 1];
      if (next !== undefined && next !== '\n') word += next;
      i += 2;
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) argv.push(word);
  return { argv };
}
