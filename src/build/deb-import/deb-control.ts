import { z } from 'zod';
import { KilnError } from '../../errors/index.ts';

/** The fields of a binary package's `control` file (and of its Packages index record) kiln uses. */
export type DebControl = {
  readonly package: string;
  readonly version: string;
  readonly architecture: string;
  /** The source package name (without the "(version)" dpkg adds for binNMUs); the package itself when absent. */
  readonly source: string;
  /** The source version when it differs from the binary's (binNMUs, `Source: glibc (2.36-9)`). */
  readonly sourceVersion?: string;
  readonly maintainer: string;
  /** First line of Description. */
  readonly summary: string;
  readonly homepage?: string;
  readonly depends: readonly DebAlternatives[];
  readonly preDepends: readonly DebAlternatives[];
  readonly provides: readonly DebRelation[];
  readonly multiArch?: string;
  readonly essential: boolean;
};

export type DebRelationOp = '<<' | '<=' | '=' | '>=' | '>>';

/** One Debian relation: `libgcc-s1 (>= 3.0)`, `python3:any`. */
export type DebRelation = {
  readonly name: string;
  readonly op?: DebRelationOp;
  readonly version?: string;
  /** `:any`, `:native` or an architecture qualifier, kept for messages. */
  readonly archQualifier?: string;
};

/** `a | b`: any one of them satisfies the dependency. */
export type DebAlternatives = readonly DebRelation[];

const NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/**
 * Parses one deb822 paragraph (`Field: value`, continuation lines start with a space).
 * Field names are case-insensitive, so the map is keyed by lower case. A second
 * paragraph, a line without a colon or a repeated field is refused.
 */
export function parseDeb822Paragraph(text: string, where: string): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  let last: string | undefined;
  const lines = text.replace(/\n+$/, '').split('\n');
  lines.forEach((line, i) => {
    const at = `${where}:${i + 1}`;
    if (line.trim() === '') throw new KilnError('DEB_INVALID', `${at}: blank line inside the paragraph; expected one control paragraph`);
    if (/^[ \t]/.test(line)) {
      if (last === undefined) throw new KilnError('DEB_INVALID', `${at}: continuation line before any field`);
      fields.set(last, `${fields.get(last) ?? ''}\n${line.slice(1)}`);
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new KilnError('DEB_INVALID', `${at}: expected "Field: value", found ${JSON.stringify(line.slice(0, 80))}`);
    const key = line.slice(0, colon).toLowerCase();
    if (fields.has(key)) throw new KilnError('DEB_INVALID', `${at}: field ${line.slice(0, colon)} appears twice`);
    fields.set(key, line.slice(colon + 1).trim());
    last = key;
  });
  return fields;
}

/** Parses `a (>= 1) | b, c:any` into alternatives. Names are checked; the grammar is Debian policy §7.1. */
export function parseDebRelations(text: string, where: string): DebAlternatives[] {
  const out: DebAlternatives[] = [];
  for (const group of text.split(',').map((g) => g.trim()).filter((g) => g !== '')) {
    out.push(group.split('|').map((alt) => parseDebRelation(alt.trim(), where)));
  }
  return out;
}

const RELATION = /^([^\s:([<]+)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^\s)]+)\s*\))?\s*(?:\[[^\]]*\])?\s*(?:<[^>]*>\s*)*$/;

function parseDebRelation(text: string, where: string): DebRelation {
  const m = RELATION.exec(text);
  const name = m?.[1];
  if (!m || name === undefined || !NAME.test(name)) {
    throw new KilnError('DEB_INVALID', `${where}: relation ${JSON.stringify(text)}: expected "name [(op version)]" such as "libgcc-s1 (>= 3.0)"`);
  }
  // `<` and `>` are obsolete spellings of `<=` and `>=` (policy §7.1)
  const rawOp = m[3];
  const op: DebRelationOp | undefined = rawOp === '<' ? '<=' : rawOp === '>' ? '>=' : (rawOp as DebRelationOp | undefined);
  return {
    name,
    ...(op !== undefined && m[4] !== undefined ? { op, version: m[4] } : {}),
    ...(m[2] !== undefined ? { archQualifier: m[2] } : {}),
  };
}

const ControlFields = z.object({
  package: z.string().regex(NAME),
  version: z.string().regex(/^[A-Za-z0-9.+~:-]+$/),
  architecture: z.string().regex(/^[a-z0-9-]+$/),
  maintainer: z.string().default(''),
  description: z.string().default(''),
  source: z.string().optional(),
  homepage: z.string().optional(),
  depends: z.string().optional(),
  'pre-depends': z.string().optional(),
  provides: z.string().optional(),
  'multi-arch': z.string().optional(),
  essential: z.string().optional(),
});

/** The typed control of a binary package from its paragraph; names the field at fault. */
export function parseDebControl(text: string, where: string): DebControl {
  const paragraph = parseDeb822Paragraph(text, where);
  const parsed = ControlFields.safeParse(Object.fromEntries(paragraph));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KilnError('DEB_INVALID', `${where}: field ${String(issue?.path[0] ?? '?')}: ${issue?.message ?? 'invalid'}`);
  }
  const f = parsed.data;
  const src = /^([a-z0-9][a-z0-9+.-]+)(?:\s*\(([^)\s]+)\))?$/.exec(f.source ?? f.package);
  if (!src?.[1]) throw new KilnError('DEB_INVALID', `${where}: Source ${JSON.stringify(f.source)}: expected "name" or "name (version)"`);
  const provides = parseDebRelations(f.provides ?? '', `${where}: Provides`).map((alts) => {
    if (alts.length !== 1 || alts[0] === undefined) throw new KilnError('DEB_INVALID', `${where}: Provides: alternatives ("|") are not allowed`);
    return alts[0];
  });
  return {
    package: f.package,
    version: f.version,
    architecture: f.architecture,
    source: src[1],
    ...(src[2] !== undefined ? { sourceVersion: src[2] } : {}),
    maintainer: f.maintainer.replace(/\s+/g, ' ').trim(),
    summary: (f.description.split('\n')[0] ?? '').trim(),
    ...(f.homepage !== undefined && f.homepage !== '' ? { homepage: f.homepage } : {}),
    depends: parseDebRelations(f.depends ?? '', `${where}: Depends`),
    preDepends: parseDebRelations(f['pre-depends'] ?? '', `${where}: Pre-Depends`),
    provides,
    ...(f['multi-arch'] !== undefined ? { multiArch: f['multi-arch'] } : {}),
    essential: f.essential === 'yes',
  };
}
