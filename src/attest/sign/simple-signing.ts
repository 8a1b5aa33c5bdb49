import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { DigestSchema, canonicalJsonBytes, type Digest } from '../../oci/index.ts';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

/** The payload cosign signs for an image: which reference and which manifest digest. */
export type SimpleSigningPayload = {
  readonly critical: {
    readonly identity: { readonly 'docker-reference': string };
    readonly image: { readonly 'docker-manifest-digest': Digest };
    readonly type: typeof COSIGN_SIGNATURE_TYPE;
  };
  readonly optional: Readonly<Record<string, string>> | null;
};

export const SimpleSigningPayloadSchema = z.looseObject({
  critical: z.looseObject({
    identity: z.looseObject({ 'docker-reference': z.string() }),
    image: z.looseObject({ 'docker-manifest-digest': DigestSchema }),
    type: z.string(),
  }),
  optional: z.record(z.string(), z.unknown()).nullable().optional(),
});

/** The payload bytes (canonical JSON, so a re-sign of the same image gives the same layer). */
export function simpleSigningPayload(dockerReference: string, digest: Digest): Buffer {
  const payload: SimpleSigningPayload = {
    critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: COSIGN_SIGNATURE_TYPE },
    optional: null,
  };
  return canonicalJsonBytes(payload);
}

export function parseSimpleSigningPayload(bytes: Buffer, where: string): z.infer<typeof SimpleSigningPayloadSchema> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new KilnError('SIGNATURE_INVALID', `${where}: the simple-signing payload is not JSON`, { cause });
  }
  const r = SimpleSigningPayloadSchema.safeParse(json);
  if (!r.success) throw new KilnError('SIGNATURE_INVALID', `${where}: not a simple-signing payload: ${describeZodIssues(r.error)}`);
  return r.data;
}
