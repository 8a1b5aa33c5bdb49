import { z } from 'zod';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { canonicalJsonBytes, type Digest } from '../../oci/index.ts';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** Predicate types kiln writes (and checks for). */
export const PredicateType = {
  slsaProvenance: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  /** What cosign v3 signs an image as, in a bundle: a statement about the image, no predicate. */
  cosignSign: 'https://sigstore.dev/cosign/sign/v1',
} as const;

/** An in-toto ResourceDescriptor (subjects, dependencies). */
export type ResourceDescriptor = {
  readonly name?: string;
  readonly uri?: string;
  readonly digest: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, unknown>>;
};

export type Statement<P = unknown> = {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly ResourceDescriptor[];
  readonly predicateType: string;
  readonly predicate: P;
};

/** A statement about one image: subject = its name and manifest digest. */
export function imageStatement<P>(imageName: string, digest: Digest, predicateType: string, predicate: P): Statement<P> {
  const [alg, hex] = digest.split(':') as [string, string];
  return { _type: STATEMENT_TYPE, subject: [{ name: imageName, digest: { [alg]: hex } }], predicateType, predicate };
}

export function statementBytes(statement: Statement): Buffer {
  return canonicalJsonBytes(statement);
}

export const StatementSchema = z.looseObject({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.looseObject({ name: z.string().optional(), digest: z.record(z.string(), z.string()) })).min(1),
  predicateType: z.string().min(1),
  predicate: z.unknown().optional(),
});
export type ParsedStatement = z.infer<typeof StatementSchema>;

export function parseStatement(payload: Buffer, where: string): ParsedStatement {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (cause) {
    throw new KilnError('SIGNATURE_INVALID', `${where}: the payload is not JSON`, { cause });
  }
  const r = StatementSchema.safeParse(json);
  if (!r.success) throw new KilnError('SIGNATURE_INVALID', `${where}: not an in-toto Statement v1: ${describeZodIssues(r.error)}`);
  return r.data;
}

/** Whether some subject names exactly this digest. */
export function statementNamesDigest(statement: ParsedStatement, digest: Digest): boolean {
  const [alg, hex] = digest.split(':') as [string, string];
  return statement.subject.some((s) => s.digest[alg] === hex);
}
