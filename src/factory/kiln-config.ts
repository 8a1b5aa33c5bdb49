import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { KilnError } from '../errors/index.ts';
import { parseRegistryRef } from '../oci/index.ts';
import { MAX_YAML_BYTES, bool, describeFound, list, object, parseYamlWithSchema, text } from '../yaml/index.ts';
import { DEFAULT_SCHEDULES, parseDuration, parseTimeOfDay, type Schedules } from './schedules.ts';

/** Where history and the job queue live: PGlite files in the state directory, or a shared PostgreSQL. */
export type DatabaseTarget =
  | { readonly kind: 'embedded'; readonly dir: string }
  | { readonly kind: 'postgres'; readonly url: string };

/** Where images are published: kiln's own registry (served by `kiln serve`), or any OCI registry under a prefix. */
export type PublishTarget =
  | { readonly kind: 'embedded' }
  | {
      readonly kind: 'registry';
      /** `HOST[:PORT]/PATH`: image `nginx` goes to `HOST[:PORT]/PATH/nginx`. */
      readonly prefix: string;
      readonly host: string;
      readonly insecure: boolean;
      /** A docker-style auth file (`{"auths": {...}}`); absent means anonymous or ambient credentials. */
      readonly authFile?: string;
    };

export type SigningKeys = {
  /** The RSA key that signs APK packages and APKINDEX. */
  readonly apk?: string;
  /** The key that signs images and their attestations. */
  readonly image?: string;
};

/** `kiln.yaml`, parsed, with every path made absolute (relative ones are relative to the file). */
export type KilnConfig = {
  readonly file: string;
  readonly stateDir: string;
  readonly database: DatabaseTarget;
  readonly publish: PublishTarget;
  readonly keys: SigningKeys;
  readonly schedules: Schedules;
  readonly catalogDir: string;
  /** Source mirrors tried before upstream URLs (http, https or file), in order. */
  readonly sourceMirrors: readonly string[];
  /** No network for sources: only mirrors on `file:` and the source cache. */
  readonly offline: boolean;
  /** The package stage run before each cycle; absent: the catalog's repositories are made elsewhere. */
  readonly packages?: PackagesConfig;
  readonly sources: SourcesConfig;
};

/**
 * `packages:`: what the factory makes sure its APK repository holds before each cycle
 * (src/factory/packages). Every catalog image resolves against that repository first.
 */
export type PackagesConfig = {
  /**
   * The APK repository root (absolute). Absent: `<state>/repo`, resolved when the stage
   * runs, because `kiln serve --state DIR` moves the state after the file is parsed.
   */
  readonly repository?: string;
  /** A directory of melange recipes (`*.yaml` directly in it), each built when its version is missing. */
  readonly recipesDir?: string;
  /** Debian packages imported with their dependencies (`NAME` or `NAME=VERSION`), when missing. */
  readonly importDeb: readonly string[];
};

/** `sources:`: where the package stage may get upstream archives besides the cache, mirrors and the recipe's URI. */
export type SourcesConfig = {
  /**
   * Seed a recipe's missing archive from the Debian archive (`apt-get source` with deb-src
   * entries derived from the machine's apt sources), kept only when its sha256 is the one
   * the recipe pins.
   */
  readonly debianArchive: boolean;
};

const duration = text.transform((s, ctx) => {
  const n = parseDuration(s);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30m, 6h or 1h30m, found ${describeFound(s)}` });
    return z.NEVER;
  }
  return n;
});

const timeOfDay = text.transform((s, ctx) => {
  const n = parseTimeOfDay(s);
  if (n === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a UTC time of day HH:MM such as "02:00", found ${describeFound(s)}` });
    return z.NEVER;
  }
  return n;
});

const databaseUrl = text.refine((s) => s === 'embedded' || /^postgres(?:ql)?:\/\/[^\s]+$/.test(s), {
  message: 'expected "embedded" or a postgres://… URL',
});

const registryPrefix = text.refine(
  (s) => {
    try {
      return !s.endsWith('/') && parseRegistryRef(`${s}/probe`).tag === undefined && !s.includes('@');
    } catch {
      return false;
    }
  },
  { message: 'expected HOST[:PORT]/PATH such as registry.example.com/hardened' },
);

const mirrorUrl = text.refine((s) => /^(?:https?|file):\/\/\S+$/.test(s), { message: 'expected an http://, https:// or file:// URL' });

const debianPackage = text.refine((s) => /^[a-z0-9][a-z0-9+.-]+(?:=(?:[0-9]+:)?[0-9][A-Za-z0-9.+~:-]*)?$/.test(s), {
  message: 'expected a Debian package as NAME or NAME=VERSION, such as libc6 or libc6=2.36-9+deb12u14',
});

const KilnYaml = object({
  state: text.optional(),
  database: databaseUrl.optional(),
  publish: object({
    registry: object({ prefix: registryPrefix, insecure: bool.optional(), auth: text.optional() }),
  }).optional(),
  keys: object({ apk: text.optional(), image: text.optional() }).optional(),
  schedules: object({ daily: timeOfDay.optional(), upstream: duration.optional(), vulnerabilities: duration.optional() }).optional(),
  catalog: text.optional(),
  'source-mirrors': list(mirrorUrl).optional(),
  offline: bool.optional(),
  packages: object({
    repository: text.optional(),
    recipes: text.optional(),
    'import-deb': list(debianPackage).optional(),
  }).optional(),
  sources: object({ 'debian-archive': bool.optional() }).optional(),
});

/**
 * Parses `kiln.yaml` text. Every key is optional: an empty file means one machine with
 * PGlite and the embedded registry, state in `.kiln` and the catalog in `catalog`, both
 * beside the file, and no package stage. Unknown keys and bad values are CONFIG_INVALID with `file:line:col`.
 */
export function parseKilnConfig(yamlText: string, file: string): KilnConfig {
  const { value: y } = parseYamlWithSchema(yamlText, file, KilnYaml);
  const base = dirname(resolve(file));
  const at = (p: string): string => resolve(base, p);
  const stateDir = at(y.state ?? '.kiln');
  const database: DatabaseTarget =
    y.database === undefined || y.database === 'embedded' ? { kind: 'embedded', dir: resolve(stateDir, 'db') } : { kind: 'postgres', url: y.database };
  const reg = y.publish?.registry;
  const publish: PublishTarget =
    reg === undefined
      ? { kind: 'embedded' }
      : {
          kind: 'registry',
          prefix: reg.prefix,
          host: parseRegistryRef(`${reg.prefix}/probe`).host,
          insecure: reg.insecure ?? false,
          ...(reg.auth !== undefined && { authFile: at(reg.auth) }),
        };
  return {
    file,
    stateDir,
    database,
    publish,
    keys: {
      ...(y.keys?.apk !== undefined && { apk: at(y.keys.apk) }),
      ...(y.keys?.image !== undefined && { image: at(y.keys.image) }),
    },
    schedules: {
      dailyMinuteUtc: y.schedules?.daily ?? DEFAULT_SCHEDULES.dailyMinuteUtc,
      upstreamEveryMinutes: y.schedules?.upstream ?? DEFAULT_SCHEDULES.upstreamEveryMinutes,
      vulnerabilitiesEveryMinutes: y.schedules?.vulnerabilities ?? DEFAULT_SCHEDULES.vulnerabilitiesEveryMinutes,
    },
    catalogDir: at(y.catalog ?? 'catalog'),
    sourceMirrors: y['source-mirrors'] ?? [],
    offline: y.offline ?? false,
    // `packages: {}` still turns the stage on: its repository is added to every image
    ...(y.packages !== undefined && {
      packages: {
        ...(y.packages.repository !== undefined && { repository: at(y.packages.repository) }),
        ...(y.packages.recipes !== undefined && { recipesDir: at(y.packages.recipes) }),
        importDeb: y.packages['import-deb'] ?? [],
      },
    }),
    sources: { debianArchive: y.sources?.['debian-archive'] ?? false },
  };
}

/** Reads and parses `kiln.yaml`; a missing file is NOT_FOUND, an unreadable one IO. */
export async function loadKilnConfig(path: string): Promise<KilnConfig> {
  let body: string;
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new KilnError('CONFIG_INVALID', `${path}: not a regular file`);
    if (s.size > MAX_YAML_BYTES) throw new KilnError('CONFIG_INVALID', `${path}: ${s.size} bytes; configs larger than ${MAX_YAML_BYTES} bytes are refused`);
    body = await readFile(path, 'utf8');
  } catch (cause) {
    if (cause instanceof KilnError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KilnError('NOT_FOUND', `${path}: no such configuration file`, { cause });
    throw new KilnError('IO', `${path}: cannot read it (${code ?? String(cause)})`, { cause });
  }
  return parseKilnConfig(body, path);
}
