import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { KilnError } from '../errors/index.ts';
import type { ImageSpec } from './image-spec.ts';
import { mergeImageSpecs } from './merge-image-specs.ts';
import { parseImageConfigYaml } from './parse-image-config-yaml.ts';
import { MAX_YAML_BYTES } from '../yaml/index.ts';

export type LoadImageConfigOptions = {
  /** Includes must stay inside this directory (default: the directory of the top file). */
  readonly root?: string;
};

export type LoadedImageConfig = {
  readonly spec: ImageSpec;
  /** The top file first, then every file it included, in order (real paths). */
  readonly files: readonly string[];
};

const MAX_INCLUDE_DEPTH = 16;

/**
 * Reads an image configuration and follows its `include:` chain: each include is a
 * path relative to the file that names it, must stay inside `root` (after resolving
 * symlinks), and may not come back to a file already in the chain. Included files are
 * merged under the including one ({@link mergeImageSpecs}).
 */
export async function loadImageConfig(path: string, options: LoadImageConfigOptions = {}): Promise<LoadedImageConfig> {
  const top = await realPathOf(path, path);
  const root = await realPathOf(options.root ?? dirname(top), options.root ?? dirname(path));
  const files: string[] = [];
  const load = async (file: string, shown: string): Promise<ImageSpec> => {
    if (files.includes(file)) {
      throw new KilnError('CONFIG_INVALID', `${shown}: include cycle: ${[...files, file].map((f) => relative(root, f) || f).join(' → ')}`);
    }
    if (files.length >= MAX_INCLUDE_DEPTH) throw new KilnError('CONFIG_INVALID', `${shown}: includes nest deeper than ${MAX_INCLUDE_DEPTH} files`);
    files.push(file);
    const doc = parseImageConfigYaml(await readBounded(file, shown), shown);
    if (doc.include === undefined) return doc.spec;
    const where = `${shown}: include ${JSON.stringify(doc.include)}`;
    if (isAbsolute(doc.include)) throw new KilnError('PATH_UNSAFE', `${where} is absolute; expected a path relative to ${shown}`);
    const target = await realPathOf(resolve(dirname(file), doc.include), where);
    if (!inside(root, target)) throw new KilnError('PATH_UNSAFE', `${where} leads outside ${root}`);
    const included = await load(target, relative(process.cwd(), target) || target);
    return mergeImageSpecs(included, doc.spec);
  };
  const spec = await load(top, path);
  return { spec, files };
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

async function realPathOf(path: string, where: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KilnError('NOT_FOUND', `${where}: ${path} does not exist`, { cause });
    throw new KilnError('IO', `${where}: cannot resolve ${path} (${code ?? String(cause)})`, { cause });
  }
}

async function readBounded(file: string, shown: string): Promise<string> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new KilnError('CONFIG_INVALID', `${shown}: not a regular file`);
    if (s.size > MAX_YAML_BYTES) {
      throw new KilnError('CONFIG_INVALID', `${shown}: ${s.size} bytes; configs larger than ${MAX_YAML_BYTES} bytes are refused`);
    }
    return await readFile(file, 'utf8');
  } catch (cause) {
    if (cause instanceof KilnError) throw cause;
    throw new KilnError('IO', `${shown}: cannot read it (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, { cause });
  }
}
