import { sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import type { ImageSigningKey } from './signing-key.ts';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** A DSSE envelope as JSON carries it (payload and signatures base64). */
export type DsseEnvelope = {
  readonly payloadType: string;
  readonly payload: string;
  readonly signatures: readonly { readonly keyid: string; readonly sig: string }[];
};

const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, { message: 'expected base64' });

export const DsseEnvelopeSchema = z.looseObject({
  payloadType: z.string(),
  payload: Base64,
  signatures: z.array(z.looseObject({ keyid: z.string().optional().default(''), sig: Base64 })).min(1),
});

/** DSSE v1 pre-authentication encoding: `DSSEv1 <len> <type> <len> <payload>`. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** Signs `payload` as `payloadType` with ECDSA P-256 / SHA-256 (DER signature). */
export function signEnvelope(payloadType: string, payload: Buffer, key: ImageSigningKey): DsseEnvelope {
  const sig = sign('sha256', preAuthEncoding(payloadType, payload), key.privateKey);
  return { payloadType, payload: payload.toString('base64'), signatures: [{ keyid: key.keyId, sig: sig.toString('base64') }] };
}

export function parseEnvelope(json: unknown, where: string): DsseEnvelope {
  const r = DsseEnvelopeSchema.safeParse(json);
  if (!r.success) throw new KilnError('INPUT_INVALID', `${where}: not a DSSE envelope: ${describeZodIssues(r.error)}`);
  return r.data;
}

/** Whether any of the envelope's signatures verifies under `publicKey`. */
export function envelopeSignatureValid(envelope: DsseEnvelope, publicKey: KeyObject): boolean {
  const pae = preAuthEncoding(envelope.payloadType, Buffer.from(envelope.payload, 'base64'));
  return envelope.signatures.some((s) => {
    try {
      return verify('sha256', pae, publicKey, Buffer.from(s.sig, 'base64'));
    } catch {
      return false;
    }
  });
}
