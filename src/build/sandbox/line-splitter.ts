import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is cut into pieces, so one runaway line cannot exhaust memory. */
const MAX_LINE = 64 * 1024;

/**
 * Splits a byte stream into lines (without the newline), decoding UTF-8 across chunk
 * boundaries; `end()` returns the unterminated last line, if any.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';

  push(chunk: Buffer): string[] {
    return this.#take(this.#pending + this.#decoder.write(chunk), false);
  }

  end(): string[] {
    return this.#take(this.#pending + this.#decoder.end(), true);
  }

  #take(text: string, final: boolean): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      lines.push(stripCr(text.slice(start, nl)));
      start = nl + 1;
    }
    let rest = text.slice(start);
    while (rest.length > MAX_LINE) {
      lines.push(rest.slice(0, MAX_LINE));
      rest = rest.slice(MAX_LINE);
    }
    if (final && rest !== '') {
      lines.push(stripCr(rest));
      rest = '';
    }
    this.#pending = rest;
    return lines;
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
