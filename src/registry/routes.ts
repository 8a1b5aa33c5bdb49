/**
 * Maps a request path under `/v2/` to an endpoint of distribution-spec v1.1.
 * Repository names may contain slashes (`library/nginx/sub`), so the path is read from
 * the right: the trailing segments name the endpoint, everything before is the name.
 * Names and references come back raw; the handlers validate them, so that a bad name
 * (or an empty one, `/v2/manifests/x`) is answered NAME_INVALID rather than "no such endpoint".
 */
export type Route =
  | { readonly kind: 'base' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: string }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'upload-start'; readonly name: string }
  | { readonly kind: 'upload'; readonly name: string; readonly uuid: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string };

/** Returns undefined for paths that are no endpoint of the spec. */
export function parseRoute(pathname: string): Route | undefined {
  if (pathname === '/v2/' || pathname === '/v2') return { kind: 'base' };
  if (!pathname.startsWith('/v2/')) return undefined;
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  const seg = pathname.slice('/v2/'.length).split('/');
  const n = seg.length;
  const nameOf = (drop: number): string => seg.slice(0, n - drop).join('/');
  const last = seg[n - 1] ?? '';
  const second = seg[n - 2];
  if (n >= 2 && second === 'tags' && last === 'list') return { kind: 'tags', name: nameOf(2) };
  if (n >= 3 && seg[n - 3] === 'blobs' && second === 'uploads') {
    return last === '' ? { kind: 'upload-start', name: nameOf(3) } : { kind: 'upload', name: nameOf(3), uuid: last };
  }
  if (n >= 2 && second === 'blobs' && last === 'uploads') return { kind: 'upload-start', name: nameOf(2) };
  if (n >= 2 && second === 'manifests') return { kind: 'manifest', name: nameOf(2), reference: last };
  if (n >= 2 && second === 'referrers') return { kind: 'referrers', name: nameOf(2), digest: last };
  if (n >= 2 && second === 'blobs') return { kind: 'blob', name: nameOf(2), digest: last };
  return undefined;
}
