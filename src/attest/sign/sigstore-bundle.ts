import { bundleToJSON, toDSSEBundle } from '@sigstore/bundle';
import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { canonicalJsonBytes } from '../../oci/index.ts';
import { DsseEnvelopeSchema, type DsseEnvelope } from './dsse.ts';

export const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/**
 * A Sigstore bundle v0.3 around a DSSE envelope, for a key-pair signer: the verification
 * material is the key's hint (no certificate, no transparency-log entry — kiln runs
 * self-hosted, offline). cosign ≥ 2.4 (`--new-bundle-format`, with `--insecure-ignore-tlog`)
 * and @sigstore/verify read it with the public key.
 */
export function sigstoreBundleBytes(envelope: DsseEnvelope, keyHint: string): Buffer {
  const sig = envelope.signatures[0];
  if (sig === undefined) throw new KilnError('SIGNATURE_INVALID', 'a DSSE envelope without a signature cannot go into a bundle');
  const bundle = toDSSEBundle({
    artifact: Buffer.from(envelope.payload, 'base64'),
    artifactType: envelope.payloadType,
    signature: Buffer.from(sig.sig, 'base64'),
    keyHint,
  });
  return canonicalJsonBytes(bundleToJSON(bundle));
}

const BundleSchema = z.looseObject({
  mediaType: z.string().regex(/^application\/vnd\.dev\.sigstore\.bundle(?:\.v0\.3)?\+json(?:;version=0\.3)?$/, {
    message: `expected ${SIGSTORE_BUNDLE_MEDIA_TYPE}`,
  }),
  verificationMaterial: z.looseObject({ publicKey: z.looseObject({ hint: z.string() }).optional() }),
  dsseEnvelope: DsseEnvelopeSchema,
});

export type ParsedBundle = { readonly envelope: DsseEnvelope; readonly keyHint?: string };

/** Parses bundle bytes (a truncated or foreign bundle is SIGNATURE_INVALID with the reason). */
export function parseSigstoreBundle(bytes: Buffer, where: string): ParsedBundle {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new KilnError('SIGNATURE_INVALID', `${where}: the Sigstore bundle is not valid JSON (${(cause as Error).message})`, { cause });
  }
  const r = BundleSchema.safeParse(json);
  if (!r.success) throw new KilnError('SIGNATURE_INVALID', `${where}: not a Sigstore bundle with a DSSE envelope: ${describeZodIssues(r.error)}`);
  const hint = r.data.verificationMaterial.publicKey?.hint;
  return { envelope: r.data.dsseEnvelope, ...(hint !== undefined && { keyHint: hint }) };
}
