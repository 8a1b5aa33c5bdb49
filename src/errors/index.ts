export { KilnError, isKilnError, isInputError } from './kiln-error.ts';
export type { KilnErrorCode } from './kiln-error.ts';
export { describeError } from './describe-error.ts';
export { describeZodIssues, formatPath } from './zod-issues.ts';
