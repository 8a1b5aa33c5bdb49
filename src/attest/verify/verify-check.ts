/** One check of `kiln verify` and its outcome; the name is stable, the reason is for people. */
export type CheckStatus = 'pass' | 'fail' | 'skip';

export type VerifyCheck = { readonly name: string; readonly status: CheckStatus; readonly reason: string };

export const pass = (name: string, reason: string): VerifyCheck => ({ name, status: 'pass', reason });
export const fail = (name: string, reason: string): VerifyCheck => ({ name, status: 'fail', reason });
export const skip = (name: string, reason: string): VerifyCheck => ({ name, status: 'skip', reason });

/** An error's message without the code prefix, for a check's reason. */
export function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function shortDigest(d: string): string {
  return d.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]+$/, '$1…');
}
