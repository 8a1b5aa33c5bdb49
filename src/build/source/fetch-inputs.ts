import { z } from 'zod';
import type { Digest } from '../../oci/index.ts';
import { boolText, httpUrl, parseStepInputs, uintText, wordList } from './step-inputs.ts';

/**
 * `uses: fetch` inputs: melange's pipelines/fetch.yaml, with two differences.
 * - A checksum is required: `expected-sha256` or `expected-sha512` (both may be given,
 *   and then both must match); melange's `expected-none` is refused.
 * - kiln-only, optional: `signature-uri` (a detached OpenPGP signature, `.sig` or
 *   `.asc`) and `signature-keys` (whitespace-separated public key files beside the
 *   recipe, e.g. `keys/gnu-hello.asc`). With them, the archive must carry a good
 *   signature by one of those keys before it is extracted. melange rejects unknown
 *   `with:` keys of its own pipelines, so a recipe using them is kiln-specific.
 * `timeout` (seconds without data) and `retry-limit` are honoured; `dns-timeout`,
 * `purl-name` and `purl-version` are accepted (the latter two for the SBOM).
 */
const FetchWith = z
  .object({
    uri: httpUrl,
    'expected-sha256': z.string().regex(/^[a-fA-F0-9]{64}$/, 'expected 64 hex digits').optional(),
    'expected-sha512': z.string().regex(/^[a-fA-F0-9]{128}$/, 'expected 128 hex digits').optional(),
    'expected-none': z.string().refine(() => false, 'kiln requires expected-sha256 or expected-sha512').optional(),
    extract: boolText.default(true),
    'strip-components': uintText.default(1),
    directory: z.string().min(1).default('.'),
    delete: boolText.default(false),
    timeout: uintText.optional(),
    'dns-timeout': uintText.optional(),
    'retry-limit': uintText.optional(),
    'purl-name': z.string().optional(),
    'purl-version': z.string().optional(),
    'signature-uri': httpUrl.optional(),
    'signature-keys': wordList.optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w['expected-sha256'] === undefined && w['expected-sha512'] === undefined) {
      ctx.addIssue({ code: 'custom', path: ['expected-sha256'], message: 'one of expected-sha256 or expected-sha512 is required' });
    }
    const keys = w['signature-keys'] ?? [];
    if (w['signature-uri'] !== undefined && keys.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['signature-keys'], message: 'signature-uri needs signature-keys: the public key files to check it with' });
    }
    if (w['signature-uri'] === undefined && keys.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['signature-uri'], message: 'signature-keys is given but signature-uri is not' });
    }
  });

export type FetchInputs = {
  readonly uri: string;
  /** every digest the recipe pins (at least one); the first is the cache key */
  readonly digests: readonly Digest[];
  readonly extract: boolean;
  readonly stripComponents: number;
  readonly directory: string;
  readonly delete: boolean;
  readonly idleTimeoutSeconds: number | undefined;
  /** `retry-limit`: attempts in all (wget --tries) */
  readonly retries: number | undefined;
  readonly purl: { readonly name?: string; readonly version?: string };
  readonly signature: { readonly uri: string; readonly keys: readonly string[] } | undefined;
};

export function parseFetchInputs(raw: Readonly<Record<string, string>>, where = 'fetch'): FetchInputs {
  const w = parseStepInputs(FetchWith, raw, where);
  const digests: Digest[] = [];
  if (w['expected-sha256'] !== undefined) digests.push(`sha256:${w['expected-sha256'].toLowerCase()}` as Digest);
  if (w['expected-sha512'] !== undefined) digests.push(`sha512:${w['expected-sha512'].toLowerCase()}` as Digest);
  return {
    uri: w.uri,
    digests,
    extract: w.extract,
    stripComponents: w['strip-components'],
    directory: w.directory,
    delete: w.delete,
    idleTimeoutSeconds: w.timeout,
    retries: w['retry-limit'],
    purl: { ...(w['purl-name'] !== undefined && { name: w['purl-name'] }), ...(w['purl-version'] !== undefined && { version: w['purl-version'] }) },
    signature: w['signature-uri'] !== undefined ? { uri: w['signature-uri'], keys: w['signature-keys'] ?? [] } : undefined,
  };
}
