import { isValidApkName, parseApkConstraint, type ApkConstraint } from '../apk/index.ts';
import { isValidRepositoryName } from '../oci/index.ts';
import { list, map, object, parseYamlWithSchema, text, type YamlSource } from '../yaml/index.ts';
import { FLOATING_TAG_KINDS, PRODUCTION_VARIANT, type CatalogLine, type FloatingTagKind, type TagPolicy } from './catalog-image.ts';

/** A catalog entry as written, checked field by field; paths not yet resolved. */
export type CatalogEntry = {
  readonly name: string;
  readonly description?: string;
  readonly primaryPackage: string;
  /** As written: relative to the catalog directory. */
  readonly config: string;
  readonly variants: readonly { readonly name: string; readonly addPackages: readonly string[] }[];
  readonly lines: readonly CatalogLine[];
  readonly tags: TagPolicy;
  /** For `file:line:col` in errors found after parsing (a config path that escapes). */
  readonly source: YamlSource;
};

function tryConstraint(s: string): ApkConstraint | undefined {
  try {
    return parseApkConstraint(s);
  } catch {
    return undefined;
  }
}

/** `~1.27` or `>=3.12 <3.13`: each part an operator and a version, applied to the primary package. */
export function parseLineConstraint(primaryPackage: string, written: string): ApkConstraint[] | undefined {
  const parts = written.trim().split(/\s+/);
  const out: ApkConstraint[] = [];
  for (const part of parts) {
    if (!/^[<>=~]/.test(part)) return undefined;
    const c = tryConstraint(`${primaryPackage}${part}`);
    if (c === undefined || c.match.kind !== 'version' || c.conflict || c.tag !== undefined) return undefined;
    out.push(c);
  }
  return out.length > 0 ? out : undefined;
}

const imageName = text.refine(isValidRepositoryName, {
  message: 'expected a repository name: lowercase [a-z0-9] parts joined by . _ __ or -, separated by /',
});
const apkName = text.refine(isValidApkName, { message: 'expected an APK package name' });
const packageSpec = text.refine((s) => !s.startsWith('!') && tryConstraint(s) !== undefined, {
  message: 'expected a package such as busybox or apk-tools>=2.14',
});
const lineName = text.refine((s) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s), {
  message: 'expected a line name such as 1.27 or 3.13 (letters, digits, . _ -)',
});
// Checked against a stand-in name here; the real primary package is applied after parsing.
const constraintText = text.refine((s) => parseLineConstraint('x', s) !== undefined, {
  message: 'expected version constraints on the primary package such as ~1.27 or ">=3.12 <3.13"',
});
// A real calendar day: 2026-02-30 is refused rather than read as March 2.
const isRealDate = (s: string): boolean => {
  const t = Date.parse(`${s}T00:00:00Z`);
  return /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(s) && !Number.isNaN(t) && new Date(t).toISOString().startsWith(s);
};
const isoDate = text.refine(isRealDate, {
  message: 'expected a date YYYY-MM-DD',
});
const floatingKind = text.refine((s): s is FloatingTagKind => (FLOATING_TAG_KINDS as readonly string[]).includes(s), {
  message: `expected one of ${FLOATING_TAG_KINDS.join(', ')}`,
});

const Variant = object({ 'add-packages': list(packageSpec).optional() }).nullable();

const Entry = object({
  name: imageName,
  description: text.optional(),
  'primary-package': apkName,
  config: text,
  variants: map(Variant).optional(),
  lines: list(object({ name: lineName, constraint: constraintText, eol: isoDate.optional() })).min(1, 'expected at least one line'),
  tags: object({ floating: list(floatingKind).optional() }).optional(),
}).superRefine((e, ctx) => {
  if (e.variants !== undefined && Object.keys(e.variants).length === 0) {
    ctx.addIssue({ code: 'custom', path: ['variants'], message: 'expected at least one variant (prod, dev, …)' });
  }
  for (const v of Object.keys(e.variants ?? {})) {
    if (!/^[a-z0-9]{1,16}$/.test(v)) {
      ctx.addIssue({ code: 'custom', path: ['variants', v], message: 'expected a variant name of 1–16 characters a-z 0-9 (prod, dev, …)' });
    }
  }
  const seen = new Set<string>();
  e.lines.forEach((l, i) => {
    if (seen.has(l.name)) ctx.addIssue({ code: 'custom', path: ['lines', i, 'name'], message: `line ${JSON.stringify(l.name)} is listed twice` });
    seen.add(l.name);
  });
});

/**
 * Parses one catalog entry, e.g.
 *
 * ```yaml
 * name: nginx
 * primary-package: nginx
 * config: nginx.apko.yaml
 * variants: { prod: {}, dev: { add-packages: [busybox, apk-tools] } }
 * lines:
 *   - { name: "1.27", constraint: "~1.27", eol: 2026-06-01 }
 * tags: { floating: [latest, major, minor] }
 * ```
 *
 * Without `variants` the image has only `prod`; without `tags.floating`, all three kinds.
 * Problems are CATALOG_INVALID with `file:line:col`.
 */
export function parseCatalogEntry(yamlText: string, file: string): CatalogEntry {
  const { source, value: e } = parseYamlWithSchema(yamlText, file, Entry, 'CATALOG_INVALID');
  const primary = e['primary-package'];
  const variants = Object.entries(e.variants ?? { [PRODUCTION_VARIANT]: null })
    .map(([name, v]) => ({ name, addPackages: v?.['add-packages'] ?? [] }))
    .sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const lines = e.lines.map((l): CatalogLine => {
    const constraints = parseLineConstraint(primary, l.constraint) ?? [];
    return { name: l.name, constraint: l.constraint, constraints, ...(l.eol !== undefined && { eol: l.eol }) };
  });
  return {
    name: e.name,
    ...(e.description !== undefined && { description: e.description }),
    primaryPackage: primary,
    config: e.config,
    variants,
    lines,
    tags: { floating: [...new Set(e.tags?.floating ?? FLOATING_TAG_KINDS)] },
    source,
  };
}

const rank = (variant: string): number => (variant === PRODUCTION_VARIANT ? 0 : 1);
