export {
  STATEMENT_TYPE,
  PredicateType,
  imageStatement,
  statementBytes,
  parseStatement,
  statementNamesDigest,
  StatementSchema,
  type Statement,
  type ParsedStatement,
  type ResourceDescriptor,
} from './statement.ts';
export { buildProvenance, KILN_BUILD_TYPE, type ProvenanceInput, type SlsaProvenance } from './slsa-provenance.ts';
