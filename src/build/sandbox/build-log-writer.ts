import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LogLine } from './sandbox-options.ts';

const TAIL_LINES = 40;

/**
 * Appends lines to a build log file, keeps the last few for error messages and forwards each
 * to an optional callback. `write` reports backpressure so the producer can pause.
 */
export class BuildLogWriter {
  readonly path: string;
  readonly #out: WriteStream;
  readonly #onLine: ((line: LogLine) => void) | undefined;
  readonly #tail: string[] = [];

  private constructor(path: string, out: WriteStream, onLine: ((line: LogLine) => void) | undefined) {
    this.path = path;
    this.#out = out;
    this.#onLine = onLine;
  }

  static async open(path: string, onLine?: (line: LogLine) => void): Promise<BuildLogWriter> {
    await mkdir(dirname(path), { recursive: true });
    const out = createWriteStream(path, { flags: 'a', mode: 0o644 });
    await new Promise<void>((resolve, reject) => {
      out.once('open', () => resolve());
      out.once('error', reject);
    });
    return new BuildLogWriter(path, out, onLine);
  }

  /** Returns false when the file is behind; wait for `drained()` before writing much more. */
  write(line: LogLine): boolean {
    this.#tail.push(line.line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    if (this.#onLine) {
      try {
        this.#onLine(line);
      } catch {
        // a progress display that throws must not take the build (or its log) down with it
      }
    }
    return this.#out.write(`${line.line}\n`);
  }

  /** A line of kiln's own (not the build's), marked so that readers can tell them apart. */
  note(text: string): void {
    this.#out.write(`[kiln-sandbox] ${text}\n`);
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.#out.once('drain', () => resolve()));
  }

  tail(): readonly string[] {
    return [...this.#tail];
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#out.once('error', reject);
      this.#out.end(() => resolve());
    });
  }
}
