import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { repositoryScope } from './auth.ts';
import { header, readBody } from './http.ts';
import type { Transport } from './transport.ts';

const TagList = z.looseObject({ name: z.string().optional(), tags: z.array(z.string()).nullable().optional() });
const Catalog = z.looseObject({ repositories: z.array(z.string()).nullable().optional() });

export type ListOptions = {
  /** Page size asked for with `n`; without it the registry picks (and may return everything). */
  readonly pageSize?: number;
};

/** All tags of a repository, following `Link: <…>; rel="next"` (or `last=` when a full page comes without one). */
export async function listTags(t: Transport, repository: string, options: ListOptions = {}): Promise<string[]> {
  return paginate(t, `/v2/${repository}/tags/list`, options, repository, 'list tags', (json, where) => {
    const r = TagList.safeParse(json);
    if (!r.success) throw new KilnError('REGISTRY_ERROR', `${where}: ${describeZodIssues(r.error)}`);
    return r.data.tags ?? [];
  });
}

/** All repositories of the registry (`/v2/_catalog`), paginated the same way. */
export async function listRepositories(t: Transport, options: ListOptions = {}): Promise<string[]> {
  return paginate(t, '/v2/_catalog', options, undefined, 'list repositories', (json, where) => {
    const r = Catalog.safeParse(json);
    if (!r.success) throw new KilnError('REGISTRY_ERROR', `${where}: ${describeZodIssues(r.error)}`);
    return r.data.repositories ?? [];
  });
}

const MAX_PAGES = 100_000;

async function paginate(
  t: Transport,
  path: string,
  options: ListOptions,
  repository: string | undefined,
  what: string,
  items: (json: unknown, where: string) => string[],
): Promise<string[]> {
  const out: string[] = [];
  const first = options.pageSize !== undefined ? `${path}?${new URLSearchParams({ n: String(options.pageSize) })}` : path;
  let next: string | undefined = first;
  for (let page = 0; next !== undefined && page < MAX_PAGES; page++) {
    const res = await t.request({
      method: 'GET',
      path: next,
      headers: { accept: 'application/json' },
      scopes: repository !== undefined ? [repositoryScope(repository, 'pull')] : ['registry:catalog:*'],
      operation: { host: t.host, ...(repository !== undefined && { repository }), what },
      ok: [200],
    });
    const where = `${what} on ${t.host}${repository !== undefined ? `/${repository}` : ''}`;
    const body = await readBody(res, 16 * 1024 * 1024);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (cause) {
      throw new KilnError('REGISTRY_ERROR', `${where}: the answer is not JSON`, { cause });
    }
    const got = items(json, where);
    out.push(...got);
    const link = nextLink(header(res, 'link'));
    if (link !== undefined) next = t.url(link).href;
    else if (options.pageSize !== undefined && got.length >= options.pageSize && got.length > 0) {
      // no Link, but a full page: ask for what comes after the last item
      const after = got[got.length - 1] ?? '';
      const url = t.url(path);
      url.searchParams.set('n', String(options.pageSize));
      url.searchParams.set('last', after);
      next = url.href === next ? undefined : url.href;
    } else next = undefined;
  }
  // a registry that ignores `last` would repeat itself; keep each item once
  return [...new Set(out)];
}

/** The `rel="next"` target of a Link header (RFC 8288). */
export function nextLink(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  for (const part of value.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel="?next"?/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}
