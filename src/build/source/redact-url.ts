/**
 * A URL as it may appear in logs and error messages: user info and query strings
 * can carry credentials (basic auth, presigned-URL signatures), so both are masked.
 * Text that does not parse as a URL is returned unchanged (it is a path).
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (u.username || u.password) {
    u.username = 'REDACTED';
    u.password = '';
  }
  if (u.search) u.search = '?REDACTED';
  return u.toString();
}
