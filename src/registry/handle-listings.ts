import { MediaType } from '../oci/index.ts';
import { RegistryError } from './errors.ts';
import { checkDigest, checkName, type RequestContext } from './context.ts';
import { nextLink, paginate, sendJson } from './http-util.ts';

/** GET /v2/<name>/tags/list?n=&last= (end-8): sorted, paged with a `Link` header. */
export async function listTags(ctx: RequestContext, rawName: string): Promise<void> {
  const name = checkName(rawName);
  const tags = await ctx.storage.listTags(name);
  if (tags === undefined) throw new RegistryError('NAME_UNKNOWN', `no repository ${name}`, { detail: { name } });
  const { page, n, next } = paginate(tags, ctx.query);
  const headers = next !== undefined && n !== undefined ? { Link: nextLink(`/v2/${name}/tags/list`, n, next) } : {};
  sendJson(ctx.res, 200, { name, tags: page }, headers);
}

/** GET /v2/_catalog?n=&last=: every repository, sorted and paged like tags. */
export async function listCatalog(ctx: RequestContext): Promise<void> {
  const { page, n, next } = paginate(await ctx.storage.listRepositories(), ctx.query);
  const headers = next !== undefined && n !== undefined ? { Link: nextLink('/v2/_catalog', n, next) } : {};
  sendJson(ctx.res, 200, { repositories: page }, headers);
}

/**
 * GET /v2/<name>/referrers/<digest>?artifactType= (end-12): an image index of the
 * manifests whose subject is `digest` — empty, not 404, when there are none.
 */
export async function listReferrers(ctx: RequestContext, rawName: string, rawDigest: string): Promise<void> {
  const name = checkName(rawName);
  const subject = checkDigest(rawDigest);
  const all = await ctx.storage.listReferrers(name, subject);
  const wanted = ctx.query.getAll('artifactType');
  const manifests = wanted.length > 0 ? all.filter((d) => d.artifactType !== undefined && wanted.includes(d.artifactType)) : all;
  sendJson(
    ctx.res,
    200,
    { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests },
    {
      'Content-Type': MediaType.ociIndex,
      ...(wanted.length > 0 && { 'OCI-Filters-Applied': 'artifactType' }),
    },
  );
}
