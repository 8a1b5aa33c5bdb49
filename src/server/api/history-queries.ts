import type { Kysely } from 'kysely';
import { z } from 'zod';
import { KilnError, describeZodIssues, type KilnErrorCode } from '../../errors/index.ts';
import { DigestSchema, isValidRepositoryName, isValidTag } from '../../oci/index.ts';
import {
  changelog,
  diffDigests,
  digestPackages,
  listImages,
  searchDigests,
  tagAt,
  tagsOf,
  type ImageSummary,
  type Schema,
} from '../../store/index.ts';
import {
  changelogJson,
  diffJson,
  digestJson,
  imagesJson,
  searchJson,
  tagAtJson,
  tagsJson,
  versionsJson,
} from './json-shapes.ts';

/**
 * The history questions, asked the same way by `/api/v1/` and by `kiln tags|changelog|
 * diff|search`: raw strings in (path params, query params, argv — all edges, so zod
 * checks them here), the JSON body out. Bad input is INPUT_INVALID / DIGEST_INVALID,
 * an unknown image, version or digest is NOT_FOUND.
 */
const ImageName = z.string().refine(isValidRepositoryName, {
  message: 'expected an image name: lowercase [a-z0-9] parts joined by . _ __ or -, separated by /',
});
const Version = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/, { message: 'expected a version such as 3.14.1' });
const Variant = z.enum(['prod', 'dev']);
const Tag = z.string().refine(isValidTag, { message: 'expected an OCI tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})' });
/** A full timestamp with its zone, or a date meaning midnight UTC. */
const Time = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s));

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string, code: KilnErrorCode = 'INPUT_INVALID'): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const found = typeof value === 'string' ? JSON.stringify(value.slice(0, 140)) : String(value);
  throw new KilnError(code, `${what}: ${describeZodIssues(r.error)}, found ${found}`, { cause: r.error });
}

async function image(db: Kysely<Schema>, name: string): Promise<ImageSummary> {
  const n = parse(ImageName, name, 'image');
  const [found] = await listImages(db, { name: n });
  if (found === undefined) throw new KilnError('NOT_FOUND', `image ${n}: kiln has no record of it`);
  return found;
}

export async function queryImages(db: Kysely<Schema>) {
  const images = await listImages(db);
  const withTags = [];
  for (const i of images) withTags.push({ image: i, tags: await tagsOf(db, i.name) });
  return imagesJson(withTags);
}

export async function queryTags(db: Kysely<Schema>, name: string) {
  const i = await image(db, name);
  return tagsJson(i.name, await tagsOf(db, i.name));
}

export async function queryVersions(db: Kysely<Schema>, name: string) {
  return versionsJson(await image(db, name));
}

export async function queryChangelog(db: Kysely<Schema>, name: string, version: string, variant?: string) {
  const i = await image(db, name);
  const v = parse(Version, version, 'version');
  const va = variant === undefined ? undefined : parse(Variant, variant, 'variant');
  const c = await changelog(db, i.name, v, va === undefined ? {} : { variant: va });
  if (c.entries.length === 0) {
    throw new KilnError('NOT_FOUND', `${i.name}:${v}${va ? ` (${va})` : ''}: never published`);
  }
  return changelogJson(c);
}

export async function queryDigest(db: Kysely<Schema>, digest: string) {
  const d = parse(DigestSchema, digest, 'digest', 'DIGEST_INVALID');
  const found = await digestPackages(db, d);
  if (found === undefined) throw new KilnError('NOT_FOUND', `digest ${d}: no publication of it in the history database`);
  return digestJson(found);
}

export async function queryDiff(db: Kysely<Schema>, from: string | undefined, to: string | undefined) {
  const a = parse(DigestSchema, from, 'from digest', 'DIGEST_INVALID');
  const b = parse(DigestSchema, to, 'to digest', 'DIGEST_INVALID');
  return diffJson(await diffDigests(db, a, b));
}

export async function querySearch(db: Kysely<Schema>, fragment: string | undefined) {
  return searchJson(await searchDigests(db, parse(z.string(), fragment, 'digest fragment')));
}

export async function queryTagAt(db: Kysely<Schema>, repository: string, tag: string, time: string | undefined) {
  const r = parse(ImageName, repository, 'repository');
  const t = parse(Tag, tag, 'tag');
  const at = parse(Time, time, 'time (ISO 8601, such as 2026-03-01T12:00:00Z)');
  return tagAtJson(await tagAt(db, r, t, at));
}
