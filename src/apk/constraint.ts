import { KilnError } from '../errors/index.ts';
import { compareApkVersionsFuzzy, parseApkVersion, type ApkVersion } from './version.ts';

/** The version operators apk-tools accepts in dependencies (`><` pins a package checksum). */
export type ApkVersionOp = '=' | '<' | '<=' | '>' | '>=' | '~' | '<~' | '>~';

export type ApkVersionMatch =
  | { readonly kind: 'any' }
  | { readonly kind: 'version'; readonly op: ApkVersionOp; readonly version: ApkVersion }
  | { readonly kind: 'checksum'; readonly checksum: string };

/**
 * One entry of `depend`, `provides`, `replaces` or `install_if`: `[!]name[@tag][op version]`.
 * Names may carry a namespace: `so:libc.so.6`, `cmd:sh`, `pc:zlib`.
 */
export type ApkConstraint = {
  readonly name: string;
  /** `!name`: the package must not be installed (or not in that version range). */
  readonly conflict: boolean;
  /** `name@tag`: only from repositories with that tag. */
  readonly tag?: string;
  readonly match: ApkVersionMatch;
};

const OPS: Readonly<Record<string, ApkVersionOp | 'checksum'>> = {
  '=': '=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '~': '~',
  '~=': '~',
  '=~': '~',
  '<~': '<~',
  '>~': '>~',
  '><': 'checksum',
};
const OP_LIST = '=, <, <=, >, >=, ~, <~, >~ or ><';

// printable ASCII without space and the characters that separate name, tag and operator
const NAME_PATTERN = /^[^\s<>=~!@]+$/;
const TAG_PATTERN = /^[A-Za-z0-9._-]+$/;
const CHECKSUM_PATTERN = /^Q1[A-Za-z0-9+/]{27}=$/;

function invalid(s: string, why: string): KilnError {
  return new KilnError('CONSTRAINT_INVALID', `${JSON.stringify(s)}: ${why}`);
}

export function isValidApkName(name: string): boolean {
  return NAME_PATTERN.test(name) && !name.startsWith('-') && /^[\x21-\x7e]+$/.test(name);
}

/** Parses one constraint such as `so:libc.so.6`, `busybox>=1.36`, `!foo`, `openssl~3.3`. */
export function parseApkConstraint(s: string): ApkConstraint {
  let rest = s;
  const conflict = rest.startsWith('!');
  if (conflict) rest = rest.slice(1);
  const opStart = rest.search(/[<>=~]/);
  let nameTag = opStart < 0 ? rest : rest.slice(0, opStart);
  let tag: string | undefined;
  const at = nameTag.indexOf('@');
  if (at >= 0) {
    tag = nameTag.slice(at + 1);
    nameTag = nameTag.slice(0, at);
    if (!TAG_PATTERN.test(tag)) throw invalid(s, `repository tag ${JSON.stringify(tag)} after "@"; expected letters, digits, ".", "_" or "-"`);
  }
  const name = nameTag;
  if (name === '') throw invalid(s, 'expected a package name' + (conflict ? ' after "!"' : ''));
  if (!isValidApkName(name)) throw invalid(s, `package name ${JSON.stringify(name)} has a character apk does not allow (space, <, >, =, ~, !, @ or non-ASCII) or starts with "-"`);
  const base = { name, conflict, ...(tag !== undefined ? { tag } : {}) };
  if (opStart < 0) return { ...base, match: { kind: 'any' } };

  const afterName = rest.slice(opStart);
  const opText = /^[<>=~]+/.exec(afterName)?.[0] ?? '';
  const op = OPS[opText];
  const position = s.length - afterName.length;
  if (op === undefined) throw invalid(s, `unknown operator ${JSON.stringify(opText)} at position ${position}; expected ${OP_LIST}`);
  const value = afterName.slice(opText.length);
  if (value === '') throw invalid(s, `expected a version after ${JSON.stringify(opText)} at position ${position}`);
  if (op === 'checksum') {
    if (!CHECKSUM_PATTERN.test(value)) throw invalid(s, `expected a checksum Q1<base64 SHA-1> after "><", found ${JSON.stringify(value)}`);
    return { ...base, match: { kind: 'checksum', checksum: value } };
  }
  let version: ApkVersion;
  try {
    version = parseApkVersion(value);
  } catch (e) {
    throw new KilnError('CONSTRAINT_INVALID', `${JSON.stringify(s)}: version after ${JSON.stringify(opText)}: ${(e as Error).message}`, { cause: e });
  }
  return { ...base, match: { kind: 'version', op, version } };
}

/** Space-separated constraints, as in a `D:` line of an APKINDEX. */
export function parseApkConstraints(s: string): ApkConstraint[] {
  return s.split(/[ \n]+/).filter((p) => p !== '').map(parseApkConstraint);
}

/**
 * A provided name: `so:libc.so.6`, or with a version `so:libc.so.6=2.36` (only `=`).
 */
export function parseApkProvide(s: string): ApkConstraint {
  const c = parseApkConstraint(s);
  if (c.conflict || c.tag !== undefined || (c.match.kind !== 'any' && (c.match.kind !== 'version' || c.match.op !== '='))) {
    throw invalid(s, 'a provided name is `name` or `name=version`, without "!", "@tag" or other operators');
  }
  return c;
}

export function formatApkConstraint(c: ApkConstraint): string {
  const head = `${c.conflict ? '!' : ''}${c.name}${c.tag !== undefined ? `@${c.tag}` : ''}`;
  switch (c.match.kind) {
    case 'any':
      return head;
    case 'version':
      return `${head}${c.match.op}${c.match.version}`;
    case 'checksum':
      return `${head}><${c.match.checksum}`;
  }
}

/** The namespace of a name: `so`, `cmd`, `pc`, … or undefined for a plain package name. */
export function apkNameNamespace(name: string): string | undefined {
  const m = /^([a-z]+):/.exec(name);
  return m?.[1];
}

const OP_RESULTS: Readonly<Record<ApkVersionOp, readonly number[]>> = {
  '=': [0],
  '<': [-1],
  '<=': [-1, 0],
  '>': [1],
  '>=': [1, 0],
  '~': [0],
  '<~': [-1, 0],
  '>~': [1, 0],
};

/**
 * Whether a candidate — a package `name` at `version`, or a provided name with its
 * version (undefined for an unversioned provide) — satisfies the constraint, the way
 * apk-tools decides it: a different name never satisfies a requirement (and always
 * satisfies a conflict); an unversioned provide satisfies only an unversioned
 * requirement; `checksum` needs the candidate's `Q1…` identity.
 */
export function satisfies(c: ApkConstraint, name: string, version: ApkVersion | undefined, checksum?: string): boolean {
  if (name !== c.name) return c.conflict;
  let matches: boolean;
  switch (c.match.kind) {
    case 'any':
      matches = true;
      break;
    case 'checksum':
      matches = checksum !== undefined && checksum === c.match.checksum;
      break;
    case 'version': {
      if (version === undefined) return c.conflict;
      const fuzzy = c.match.op.includes('~');
      matches = OP_RESULTS[c.match.op].includes(compareApkVersionsFuzzy(version, c.match.version, fuzzy));
      break;
    }
  }
  return c.conflict ? !matches : matches;
}
