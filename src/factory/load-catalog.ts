import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { loadImageConfig } from '../assemble/index.ts';
import { KilnError } from '../errors/index.ts';
import { canonicalJson, digestOf } from '../oci/index.ts';
import { MAX_YAML_BYTES } from '../yaml/index.ts';
import { variantSuffix, type CatalogImage, type CatalogVariant } from './catalog-image.ts';
import { parseCatalogEntry } from './parse-catalog-entry.ts';

/** A catalog entry that did not load: the others still do. */
export type CatalogError = {
  /** The entry file, as shown in messages. */
  readonly file: string;
  readonly error: KilnError;
};

export type Catalog = {
  /** Sorted by name. */
  readonly images: readonly CatalogImage[];
  /** Sorted by file. */
  readonly errors: readonly CatalogError[];
};

/**
 * Loads every entry of a catalog directory: each `*.yaml` / `*.yml` directly in `dir` is
 * one image, except `*.apko.yaml` / `*.apko.yml`, which are image configs (they may also
 * live in subdirectories). An entry's `config:` is relative to `dir` and must stay inside
 * it after symlinks; the config is loaded (with its includes) so that a broken config is
 * caught here rather than at 02:00. A broken entry becomes an error result and the rest
 * load; two entries with one name keep the first (by file name) and report the second.
 * With `files`, only those entry files (names in `dir`) are read.
 */
export async function loadCatalog(dir: string, options: { readonly files?: readonly string[] } = {}): Promise<Catalog> {
  const root = await realDir(dir);
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => /\.ya?ml$/.test(n) && !/\.apko\.ya?ml$/.test(n)).sort();
    // a job for one image loads its own entry, not a thousand others
    if (options.files !== undefined) names = names.filter((n) => options.files?.includes(n));
  } catch (cause) {
    throw new KilnError('IO', `${dir}: cannot list the catalog (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
  const images: CatalogImage[] = [];
  const errors: CatalogError[] = [];
  const byName = new Map<string, string>();
  for (const n of names) {
    const shown = join(dir, n);
    try {
      const image = await loadEntry(root, join(root, n), shown);
      const first = byName.get(image.name);
      if (first !== undefined) throw new KilnError('CATALOG_INVALID', `${shown}: image ${JSON.stringify(image.name)} is already defined by ${first}`);
      byName.set(image.name, shown);
      images.push(image);
    } catch (e) {
      const error = e instanceof KilnError ? e : new KilnError('IO', `${shown}: ${String(e)}`, { cause: e });
      errors.push({ file: shown, error });
    }
  }
  images.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { images, errors };
}

async function loadEntry(root: string, path: string, shown: string): Promise<CatalogImage> {
  const entry = parseCatalogEntry(await readBounded(path, shown), shown);
  const at = entry.source.locate(['config']);
  const where = `${shown}:${at.line}:${at.col}: config ${JSON.stringify(entry.config)}`;
  if (isAbsolute(entry.config)) throw new KilnError('PATH_UNSAFE', `${where} is absolute; expected a path relative to the catalog directory`);
  // Check the path as written before touching the file system, then again after symlinks.
  if (!inside(root, resolve(root, entry.config))) throw new KilnError('PATH_UNSAFE', `${where} leads outside the catalog directory`);
  let configFile: string;
  try {
    configFile = await realpath(resolve(root, entry.config));
  } catch (cause) {
    throw new KilnError('NOT_FOUND', `${where} does not exist`, { cause });
  }
  if (!inside(root, configFile)) throw new KilnError('PATH_UNSAFE', `${where} leads outside the catalog directory (through a symlink)`);
  const { spec } = await loadImageConfig(configFile, { root });
  const variants = entry.variants.map(
    (v): CatalogVariant => ({
      name: v.name,
      suffix: variantSuffix(v.name),
      addPackages: v.addPackages,
      configDigest: digestOf(canonicalJson({ spec, variant: { name: v.name, addPackages: v.addPackages } })),
    }),
  );
  return {
    name: entry.name,
    ...(entry.description !== undefined && { description: entry.description }),
    file: shown,
    primaryPackage: entry.primaryPackage,
    configFile,
    spec,
    variants,
    lines: entry.lines,
    tags: entry.tags,
  };
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

async function realDir(dir: string): Promise<string> {
  try {
    const real = await realpath(dir);
    if (!(await stat(real)).isDirectory()) throw new KilnError('CONFIG_INVALID', `${dir}: the catalog is not a directory`);
    return real;
  } catch (cause) {
    if (cause instanceof KilnError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KilnError('NOT_FOUND', `${dir}: no such catalog directory`, { cause });
    throw new KilnError('IO', `${dir}: cannot open the catalog (${code ?? String(cause)})`, { cause });
  }
}

async function readBounded(path: string, shown: string): Promise<string> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new KilnError('CATALOG_INVALID', `${shown}: not a regular file`);
    if (s.size > MAX_YAML_BYTES) throw new KilnError('CATALOG_INVALID', `${shown}: ${s.size} bytes; entries larger than ${MAX_YAML_BYTES} bytes are refused`);
    return await readFile(path, 'utf8');
  } catch (cause) {
    if (cause instanceof KilnError) throw cause;
    throw new KilnError('IO', `${shown}: cannot read it (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
}
