import { parseApkVersion, type ApkVersion } from '../../apk/index.ts';
import { KilnError } from '../../errors/index.ts';

/** A Debian version split as dpkg splits it: `[epoch:]upstream[-revision]`. */
export type DebianVersion = { readonly epoch: number; readonly upstream: string; readonly revision?: string };

export function parseDebianVersion(text: string): DebianVersion {
  const m = /^(?:([0-9]+):)?([0-9][A-Za-z0-9.+~:-]*?)(?:-([A-Za-z0-9.+~]+))?$/.exec(text);
  const upstream = m?.[2];
  // a trailing "-" would be an empty revision, which dpkg refuses
  if (!m || upstream === undefined || upstream.endsWith('-') || (upstream.includes(':') && m[1] === undefined)) {
    throw new KilnError('VERSION_INVALID', `Debian version ${JSON.stringify(text)}: expected [epoch:]upstream[-revision] with the upstream part starting with a digit`);
  }
  return { epoch: m[1] === undefined ? 0 : Number(m[1]), upstream, ...(m[3] !== undefined ? { revision: m[3] } : {}) };
}

/**
 * A Debian version as an APK version that sorts the same way for the versions one
 * package has over time. APK versions cannot hold `~`, `+`, `:` or free text, so:
 *
 * - the epoch is dropped (APK has none); the exact Debian version is kept in the
 *   package description and the provenance record. Two versions that differ only in
 *   their epoch map to one APK version, and an epoch bump does not sort later.
 * - the upstream part's leading `N.N.N` stays, with a single lowercase letter directly
 *   after it (`1.1.1w`, `2024a`). Leading zeros are dropped (dpkg compares numbers).
 * - what follows becomes suffixes, one per run of digits: a run after a `~` part is a
 *   pre-release — `_alpha` for `~a…`/`~alpha`, `_beta` for `~b…`/`~beta`, `_rc` for
 *   `~rc`, else `_pre` (`~deb12u1`, `~bpo12`) — any other run is `_p` (`+deb12u14`,
 *   `.1`, `+b7`); text with no digits after it counts as the number 0 (`+dfsg` → `_p0`).
 * - the revision starts with `_cvs` (its first number), then continues as above. `_cvs`
 *   is chosen only for its rank: it sorts above the bare version and the pre-release
 *   suffixes but below `_p`, as dpkg puts the end of the upstream part below any
 *   continuation of it (`1.2+dfsg1-3` < `1.2+dfsg1.1-1`).
 *
 * Examples: `2.36-9+deb12u14` → `2.36_cvs9_p12_p14`, `2024a-0+deb12u1` → `2024a_cvs0_p12_p1`,
 * `3.0.15-1~deb12u1` → `3.0.15_cvs1_pre12_p1`, `6.4` → `6.4`, `1:9.18.28-1~deb12u2` →
 * `9.18.28_cvs1_pre12_p2`. Pre-release words that sort after "rc" (`~snapshot`) and
 * multi-letter words glued to a number (`1.0beta2`) do not keep dpkg's order; the
 * ordering test checks the forms Debian's archive actually uses.
 */
export function debianToApkVersion(text: string): ApkVersion {
  const v = parseDebianVersion(text);
  const head = /^([0-9]+(?:\.[0-9]+)*)([a-z](?![A-Za-z]))?/.exec(v.upstream);
  if (!head?.[1]) throw new KilnError('VERSION_INVALID', `Debian version ${JSON.stringify(text)}: the upstream part must start with a digit`);
  let out = head[1].split('.').map(stripZeros).join('.') + (head[2] ?? '');
  out += suffixes(v.upstream.slice(head[0].length));
  if (v.revision !== undefined) {
    const first = /^[0-9]+/.exec(v.revision);
    out += `_cvs${stripZeros(first?.[0] ?? '0')}` + suffixes(v.revision.slice(first?.[0].length ?? 0));
  }
  return parseApkVersion(out, `Debian version ${JSON.stringify(text)} mapped to ${JSON.stringify(out)}`);
}

/** `+deb12u14` → `_p12_p14`; `~rc1` → `_rc1`; `+dfsg` → `_p0`. */
function suffixes(rest: string): string {
  let out = '';
  for (const m of rest.matchAll(/([^0-9]*)([0-9]*)/g)) {
    const [, text = '', digits = ''] = m;
    if (text === '' && digits === '') continue;
    const kind = text.includes('~') ? preKind(text.slice(text.lastIndexOf('~') + 1)) : 'p';
    out += `_${kind}${stripZeros(digits === '' ? '0' : digits)}`;
  }
  return out;
}

function preKind(word: string): string {
  const w = word.toLowerCase();
  if (w === 'a' || w.startsWith('alpha')) return 'alpha';
  if (w === 'b' || w.startsWith('beta')) return 'beta';
  if (w.startsWith('rc')) return 'rc';
  return 'pre';
}

function stripZeros(digits: string): string {
  return digits.replace(/^0+(?=[0-9])/, '');
}
