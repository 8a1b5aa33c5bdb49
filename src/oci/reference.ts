import { KilnError } from '../errors/index.ts';
import { isDigest, type Digest } from './digest.ts';

/** Repository names and tags as distribution-spec v1.1 defines them. */
const NAME_COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME_PATTERN = new RegExp(`^${NAME_COMPONENT}(?:/${NAME_COMPONENT})*$`);
const TAG_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const MAX_NAME_LENGTH = 255;

export function isValidRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(name);
}

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export function assertRepositoryName(name: string, where = 'repository name'): string {
  if (isValidRepositoryName(name)) return name;
  const why =
    name.length > MAX_NAME_LENGTH
      ? `is ${name.length} characters, over the limit of ${MAX_NAME_LENGTH}`
      : 'must be lowercase components of [a-z0-9] joined by . _ __ or -, separated by /';
  throw new KilnError('NAME_INVALID', `${where} ${JSON.stringify(name.slice(0, 80))} ${why}`);
}

export function assertTag(tag: string, where = 'tag'): string {
  if (isValidTag(tag)) return tag;
  throw new KilnError(
    'TAG_INVALID',
    `${where} ${JSON.stringify(tag.slice(0, 140))} must match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`,
  );
}

/** `HOST[:PORT]/REPO[:TAG|@DIGEST]` — an image in a registry. */
export type RegistryRef = {
  readonly kind: 'registry';
  readonly host: string; // with the port, e.g. `localhost:5000`
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
};

/** `oci:DIR[:TAG|@DIGEST]` — an image in an OCI image layout on disk. */
export type LayoutRef = {
  readonly kind: 'layout';
  readonly dir: string;
  readonly tag?: string;
  readonly digest?: Digest;
};

export type ImageRef = RegistryRef | LayoutRef;

/** Parses either form; the reference is what the user typed, for messages. */
export function parseImageRef(text: string): ImageRef {
  return text.startsWith('oci:') ? parseLayoutRef(text) : parseRegistryRef(text);
}

export function parseLayoutRef(text: string): LayoutRef {
  let rest = text.slice('oci:'.length);
  let digest: Digest | undefined;
  let tag: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0 && isDigest(rest.slice(at + 1))) {
    digest = rest.slice(at + 1) as Digest;
    rest = rest.slice(0, at);
  } else {
    // a tag follows the last colon after the last slash: oci:./out:v1, oci:/tmp/a:b/c has none
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = assertTag(rest.slice(colon + 1), `tag in ${text}`);
      rest = rest.slice(0, colon);
    }
  }
  if (rest === '') throw new KilnError('REFERENCE_INVALID', `${text}: expected oci:DIR[:TAG|@DIGEST], the directory is empty`);
  return { kind: 'layout', dir: rest, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

export function parseRegistryRef(text: string): RegistryRef {
  const usage = `expected HOST[:PORT]/REPOSITORY[:TAG|@DIGEST] or oci:DIR[:TAG]`;
  const slash = text.indexOf('/');
  if (slash <= 0) throw new KilnError('REFERENCE_INVALID', `${JSON.stringify(text)}: ${usage}`);
  const host = text.slice(0, slash);
  if (!/^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?::[0-9]{1,5})?$/.test(host)) {
    throw new KilnError('REFERENCE_INVALID', `${JSON.stringify(text)}: ${JSON.stringify(host)} is not a registry host; ${usage}`);
  }
  let rest = text.slice(slash + 1);
  let digest: Digest | undefined;
  let tag: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) throw new KilnError('DIGEST_INVALID', `${JSON.stringify(text)}: ${JSON.stringify(d)} is not a digest`);
    digest = d;
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = assertTag(rest.slice(colon + 1), `tag in ${text}`);
    rest = rest.slice(0, colon);
  }
  assertRepositoryName(rest, `repository in ${text}:`);
  return { kind: 'registry', host, repository: rest, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/** Loopback registries speak plain HTTP, as docker and skopeo users expect. */
export function isLoopbackHost(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:[0-9]+$/, '');
  return name === 'localhost' || name === '[::1]' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(name);
}

/** What a manifest is fetched by: the digest when there is one, else the tag, else `latest`. */
export function refTarget(ref: ImageRef): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export function formatImageRef(ref: ImageRef): string {
  const base = ref.kind === 'layout' ? `oci:${ref.dir}` : `${ref.host}/${ref.repository}`;
  return `${base}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}
