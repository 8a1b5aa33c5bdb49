import { KilnError } from '../errors/index.ts';

/**
 * An APK package version such as `1.2.3a_rc1_p2-r4`, validated by {@link parseApkVersion}.
 * Never mixed with other strings; compare with {@link compareApkVersions}, never with `<`.
 */
export type ApkVersion = string & { readonly __brand: 'ApkVersion' };

/** -1: a < b, 0: equal, 1: a > b. */
export type Ordering = -1 | 0 | 1;

// Token kinds in the order apk-tools ranks them when one version runs out before the
// other: a longer version wins unless its next token is a pre-release suffix.
const INITIAL = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const REVISION = 5;
const END = 6;

type TokenKind = typeof INITIAL | typeof DIGIT | typeof LETTER | typeof SUFFIX | typeof SUFFIX_NO | typeof REVISION | typeof END;

type Token = { readonly kind: TokenKind; readonly text: string; readonly at: number };

/** Suffix ranks: the pre-release ones sort below the bare release (5), the others above. */
const SUFFIX_RANK: Readonly<Record<string, number>> = {
  alpha: 1,
  beta: 2,
  pre: 3,
  rc: 4,
  cvs: 6,
  svn: 7,
  git: 8,
  hg: 9,
  p: 10,
};
const RELEASE_RANK = 5;
const SUFFIX_LIST = '_alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p';
const GRAMMAR = 'digits{.digits}[letter]{_suffix[digits]}[-rN]';

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';

function invalid(s: string, why: string): KilnError {
  return new KilnError('VERSION_INVALID', `${JSON.stringify(s)}: ${why}`);
}

function digitsAt(s: string, i: number): number {
  let j = i;
  while (isDigit(s[j])) j++;
  return j;
}

/**
 * Splits a version into tokens the way apk-tools 3 lexes it (apk-tools 2.14 accepts
 * more, e.g. `1..2` or `0.1a1`; kiln refuses those so that every accepted version has
 * one meaning). Throws VERSION_INVALID naming the part at fault.
 */
function tokenize(s: string): Token[] {
  if (s === '') throw invalid(s, `empty version; expected ${GRAMMAR}, such as 1.2.3-r0`);
  const tokens: Token[] = [];
  let i = digitsAt(s, 0);
  if (i === 0) throw invalid(s, `expected a digit at position 0, found ${JSON.stringify(s[0])}; a version starts with a number`);
  tokens.push({ kind: INITIAL, text: s.slice(0, i), at: 0 });
  let prev: TokenKind = INITIAL;
  while (i < s.length) {
    const c = s[i] ?? '';
    const at = i;
    if (isLower(c)) {
      if (prev > DIGIT) throw invalid(s, `letter ${JSON.stringify(c)} at position ${at} must directly follow a number (at most one letter, before any suffix or revision)`);
      tokens.push({ kind: LETTER, text: c, at });
      prev = LETTER;
      i++;
    } else if (c === '.') {
      if (prev > DIGIT) throw invalid(s, `"." at position ${at} after ${describe(prev)}; numbers come before the letter, suffixes and revision`);
      const end = digitsAt(s, i + 1);
      if (end === i + 1) throw invalid(s, `expected digits after "." at position ${at}`);
      tokens.push({ kind: DIGIT, text: s.slice(i + 1, end), at });
      prev = DIGIT;
      i = end;
    } else if (isDigit(c)) {
      // numbers after a number are consumed greedily, so digits here follow a letter or a suffix
      if (prev !== SUFFIX) throw invalid(s, `digits at position ${at} after ${describe(prev)}; a letter cannot be followed by a number`);
      const end = digitsAt(s, i);
      tokens.push({ kind: SUFFIX_NO, text: s.slice(i, end), at });
      prev = SUFFIX_NO;
      i = end;
    } else if (c === '_') {
      let end = i + 1;
      while (isLower(s[end])) end++;
      const name = s.slice(i + 1, end);
      if (prev > SUFFIX_NO) throw invalid(s, `suffix "_${name}" at position ${at} after the revision; the revision -rN comes last`);
      if (name === '') throw invalid(s, `empty suffix at position ${at}; expected ${SUFFIX_LIST}`);
      if (SUFFIX_RANK[name] === undefined) throw invalid(s, `unknown suffix "_${name}" at position ${at}; expected ${SUFFIX_LIST}`);
      tokens.push({ kind: SUFFIX, text: name, at });
      prev = SUFFIX;
      i = end;
    } else if (c === '-') {
      if (prev >= REVISION) throw invalid(s, `second revision at position ${at}; a version has at most one -rN`);
      const end = digitsAt(s, i + 2);
      if (s[i + 1] !== 'r' || end === i + 2) throw invalid(s, `expected a revision "-r" followed by digits at position ${at}, found ${JSON.stringify(s.slice(i, i + 4))}`);
      tokens.push({ kind: REVISION, text: s.slice(i + 2, end), at });
      prev = REVISION;
      i = end;
    } else {
      throw invalid(s, `unexpected character ${JSON.stringify(c)} at position ${at}; expected ${GRAMMAR}`);
    }
  }
  return tokens;
}

function describe(kind: TokenKind): string {
  switch (kind) {
    case INITIAL:
    case DIGIT:
      return 'a number';
    case LETTER:
      return 'the letter';
    case SUFFIX:
    case SUFFIX_NO:
      return 'a suffix';
    case REVISION:
      return 'the revision';
    case END:
      return 'the end';
  }
}

export function isApkVersion(s: string): s is ApkVersion {
  try {
    tokenize(s);
    return true;
  } catch {
    return false;
  }
}

/** Validates an APK version; throws VERSION_INVALID saying which part is wrong. */
export function parseApkVersion(s: string, where?: string): ApkVersion {
  try {
    tokenize(s);
  } catch (e) {
    if (where !== undefined && e instanceof KilnError) throw new KilnError(e.code, `${where}: ${e.message}`, { cause: e });
    throw e;
  }
  return s as ApkVersion;
}

/** Numeric comparison of digit strings of any length (no leading zeros expected). */
function compareNumbers(a: string, b: string): Ordering {
  const x = a.replace(/^0+(?=.)/, '');
  const y = b.replace(/^0+(?=.)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareText(a: string, b: string): Ordering {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareToken(a: Token, b: Token): Ordering {
  switch (a.kind) {
    case DIGIT:
      // a component after the first with a leading zero compares as text, so 1.01 < 1.1
      // and 8.2.0 < 8.2.001 (apk-tools 3 and its tests; apk-tools 2.14 differs here)
      if (a.text.startsWith('0') || b.text.startsWith('0')) return compareText(a.text, b.text);
      return compareNumbers(a.text, b.text);
    case INITIAL:
    case SUFFIX_NO:
    case REVISION:
      return compareNumbers(a.text, b.text);
    case LETTER:
      return compareText(a.text, b.text);
    case SUFFIX:
      return Math.sign((SUFFIX_RANK[a.text] ?? 0) - (SUFFIX_RANK[b.text] ?? 0)) as Ordering;
    case END:
      return 0;
  }
}

const END_TOKEN: Token = { kind: END, text: '', at: -1 };

/**
 * apk-tools ordering. With `fuzzy`, `a` equals `b` when `b`'s tokens are a prefix of
 * `a`'s (the `~` constraint: 3.6.9 and 3.6_pre1 match ~3.6, 3.8 does not match ~3.8.1).
 */
export function compareApkVersionsFuzzy(a: ApkVersion, b: ApkVersion, fuzzy: boolean): Ordering {
  if (a === b) return 0;
  const ta = tokenize(a);
  const tb = tokenize(b);
  let i = 0;
  for (;;) {
    const x = ta[i] ?? END_TOKEN;
    const y = tb[i] ?? END_TOKEN;
    if (x.kind !== y.kind || x.kind === END) {
      if (x.kind === y.kind) return 0;
      if (fuzzy && y.kind === END) return 0;
      // one version has more after an equal start: the longer one is newer, unless what
      // follows is a pre-release suffix, or a token kind that ranks lower
      if (x.kind === SUFFIX && (SUFFIX_RANK[x.text] ?? 0) < RELEASE_RANK) return -1;
      if (y.kind === SUFFIX && (SUFFIX_RANK[y.text] ?? 0) < RELEASE_RANK) return 1;
      return x.kind > y.kind ? -1 : 1;
    }
    const r = compareToken(x, y);
    if (r !== 0) return r;
    i++;
  }
}

export function compareApkVersions(a: ApkVersion, b: ApkVersion): Ordering {
  return compareApkVersionsFuzzy(a, b, false);
}

/** The version without its `-rN` revision, e.g. for an upstream version. */
export function apkVersionWithoutRevision(v: ApkVersion): string {
  return v.replace(/-r[0-9]+$/, '');
}
