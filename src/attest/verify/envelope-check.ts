import type { Digest } from '../../oci/index.ts';
import { parseStatement, statementNamesDigest, type ParsedStatement } from '../provenance/index.ts';
import { IN_TOTO_PAYLOAD_TYPE, envelopeSignatureValid, type DsseEnvelope, type ImageVerificationKey } from '../sign/index.ts';
import { reasonOf, shortDigest } from './verify-check.ts';

export type EnvelopeOutcome =
  | { readonly ok: true; readonly statement: ParsedStatement; readonly reason: string }
  | { readonly ok: false; readonly reason: string; readonly statement?: ParsedStatement };

/**
 * The checks every DSSE envelope kiln attaches must pass, in the order that gives the most
 * useful reason: payload type, signature (over the PAE, so the type is covered too), an
 * in-toto statement, a subject naming this manifest digest, and (when the referrer
 * announced one) the predicate type it announced.
 */
export function checkEnvelope(envelope: DsseEnvelope, key: ImageVerificationKey, digest: Digest, announcedPredicateType?: string): EnvelopeOutcome {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    return { ok: false, reason: `DSSE payloadType is ${JSON.stringify(envelope.payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}` };
  }
  if (!envelopeSignatureValid(envelope, key.publicKey)) {
    const named = envelope.signatures.map((s) => s.keyid).filter((k) => k !== '' && k !== key.keyId);
    return {
      ok: false,
      reason: `the DSSE signature does not verify with the public key ${key.keyId.slice(0, 12)}…${named.length > 0 ? ` (the envelope names key ${named[0]!.slice(0, 12)}…)` : ''}`,
    };
  }
  let statement: ParsedStatement;
  try {
    statement = parseStatement(Buffer.from(envelope.payload, 'base64'), 'DSSE payload');
  } catch (e) {
    return { ok: false, reason: reasonOf(e) };
  }
  if (!statementNamesDigest(statement, digest)) {
    const named = statement.subject.map((s) => Object.entries(s.digest).map(([a, h]) => shortDigest(`${a}:${h}`)).join(',')).join(' ');
    return { ok: false, statement, reason: `the statement's subject is ${named}, not this image ${shortDigest(digest)}` };
  }
  if (announcedPredicateType !== undefined && statement.predicateType !== announcedPredicateType) {
    return { ok: false, statement, reason: `the statement's predicateType is ${statement.predicateType}, the referrer announced ${announcedPredicateType}` };
  }
  return { ok: true, statement, reason: `signed by ${key.keyId.slice(0, 12)}…, subject ${shortDigest(digest)}` };
}
