import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, visit, type Alias, type Document, type Node, Scalar } from 'yaml';
import { KilnError } from '../errors/index.ts';

/** What a YAML document becomes: every scalar is text (or null), as melange and apko read it. */
export type YamlValue = string | null | readonly YamlValue[] | { readonly [key: string]: YamlValue };

export type SourcePosition = { readonly line: number; readonly col: number };

/** A parsed YAML file plus a way back from a field path to the line and column it came from. */
export type YamlSource = {
  readonly file: string;
  readonly value: YamlValue;
  /** Where the value at `path` (or, with `key`, the mapping key that names it) starts; the nearest known ancestor otherwise. */
  locate(path: readonly PropertyKey[], key?: boolean): SourcePosition;
};

/** Configs are small; anything larger is refused before parsing (no YAML bombs). */
export const MAX_YAML_BYTES = 1024 * 1024;
// Aliases can multiply a small file into a huge tree: bound the nodes reached through them
// (the rest are bounded by the file size).
const MAX_ALIASED_NODES = 20_000;

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);

/**
 * Parses one YAML document with the failsafe schema (so `version: 3.10` stays "3.10"
 * and `uid: 0o755` stays text until a schema converts it) and records where each value
 * and key starts. Malformed YAML, duplicate keys and non-scalar keys are CONFIG_INVALID
 * errors with `file:line:col`.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) {
    throw new KilnError('CONFIG_INVALID', `${file}: ${bytes} bytes; configs larger than ${MAX_YAML_BYTES} bytes are refused`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { schema: 'failsafe', lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const pos = (offset: number): SourcePosition => lineCounter.linePos(offset);
  const first = doc.errors[0];
  if (first) {
    const at = pos(first.pos[0]);
    const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more YAML errors)` : '';
    throw new KilnError('CONFIG_INVALID', `${file}:${at.line}:${at.col}: malformed YAML: ${firstLine(first.message)}${more}`, { cause: first });
  }
  const values = new Map<string, number>();
  const keys = new Map<string, number>();
  const budget = { nodes: 0 };
  const resolveAlias = aliasResolver(doc);
  const value = doc.contents === null ? null : convert(doc.contents, [], { values, keys, budget, file, pos, resolveAlias });
  return {
    file,
    value,
    locate(path, key = false) {
      if (key) {
        const offset = keys.get(pathKey(path));
        if (offset !== undefined) return pos(offset);
      }
      for (let n = path.length; n >= 0; n--) {
        const offset = values.get(pathKey(path.slice(0, n)));
        if (offset !== undefined) return pos(offset);
      }
      return { line: 1, col: 1 };
    },
  };
}

type Context = {
  readonly values: Map<string, number>;
  readonly keys: Map<string, number>;
  readonly budget: { nodes: number };
  readonly file: string;
  readonly pos: (offset: number) => SourcePosition;
  readonly resolveAlias: (alias: Alias) => unknown;
};

/**
 * yaml's Alias.resolve walks the whole document each time; index the anchors once
 * instead. An alias names the nearest anchor of that name before it.
 */
function aliasResolver(doc: Document): (alias: Alias) => unknown {
  const anchors = new Map<string, { start: number; node: unknown }[]>();
  visit(doc, (_key, node) => {
    const anchor = (node as { anchor?: string } | null)?.anchor;
    const start = (node as Node | null)?.range?.[0];
    if (anchor !== undefined && start !== undefined) anchors.set(anchor, [...(anchors.get(anchor) ?? []), { start, node }]);
  });
  return (alias) => {
    const start = alias.range?.[0] ?? Infinity;
    const found = (anchors.get(alias.source) ?? []).filter((a) => a.start < start).at(-1);
    return found?.node;
  };
}

function convert(node: unknown, path: readonly PropertyKey[], ctx: Context, aliased = false): YamlValue {
  const viaAlias = aliased || isAlias(node);
  if (viaAlias && ++ctx.budget.nodes > MAX_ALIASED_NODES) {
    throw new KilnError('CONFIG_INVALID', `${ctx.file}: aliases expand to more than ${MAX_ALIASED_NODES} YAML nodes`);
  }
  const n = isAlias(node) ? ctx.resolveAlias(node) : node;
  const range = (n as Node | undefined)?.range;
  if (range) ctx.values.set(pathKey(path), range[0]);
  if (isScalar(n)) {
    const text = n.value === null || n.value === undefined ? '' : String(n.value);
    return n.type === Scalar.PLAIN && NULLS.has(text) ? null : text;
  }
  if (isSeq(n)) return n.items.map((item, i) => convert(item, [...path, i], ctx, viaAlias));
  if (isMap(n)) {
    const out: Record<string, YamlValue> = Object.create(null) as Record<string, YamlValue>;
    for (const pair of n.items) {
      const keyNode = isAlias(pair.key) ? ctx.resolveAlias(pair.key) : pair.key;
      if (!isScalar(keyNode)) {
        const at = ctx.pos((keyNode as Node | undefined)?.range?.[0] ?? range?.[0] ?? 0);
        throw new KilnError('CONFIG_INVALID', `${ctx.file}:${at.line}:${at.col}: expected a text key, found a ${isMap(keyNode) ? 'mapping' : 'list'}`);
      }
      const key = String(keyNode.value ?? '');
      const childPath = [...path, key];
      if (keyNode.range) ctx.keys.set(pathKey(childPath), keyNode.range[0]);
      const v = convert(pair.value, childPath, ctx, viaAlias);
      // `key:` with nothing after it means "not set", as in apko (Go zero values).
      if (v !== null) out[key] = v;
      else if (keyNode.range && !ctx.values.has(pathKey(childPath))) ctx.values.set(pathKey(childPath), keyNode.range[0]);
    }
    return out;
  }
  return null;
}

function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map((p) => (typeof p === 'number' ? p : String(p))));
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
}
