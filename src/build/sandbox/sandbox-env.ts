import { KilnError } from '../../errors/index.ts';
import { DEFAULT_SANDBOX_PATH, SANDBOX_WORKSPACE } from './sandbox-options.ts';

/** Names that usually carry credentials; a build never needs them, so they are refused by default. */
const SECRET_NAME = /TOKEN|PASSWORD|PASSWD|SECRET|KEY|CREDENTIAL/i;

/** Set by the sandbox itself; a caller overriding them would break determinism or isolation. */
const FIXED = new Set(['HOME', 'SOURCE_DATE_EPOCH', 'LANG', 'LC_ALL', 'TZ']);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Refuses variables whose names look like secrets (TOKEN, PASSWORD, SECRET, KEY, …) unless the
 * caller named them in `allow`: a build script and its log must never see a credential by accident.
 */
export function assertNoSecrets(env: Readonly<Record<string, string>>, allow: readonly string[] = []): void {
  const allowed = new Set(allow);
  const bad = Object.keys(env)
    .filter((name) => SECRET_NAME.test(name) && !allowed.has(name))
    .sort();
  if (bad.length > 0) {
    throw new KilnError(
      'INPUT_INVALID',
      `sandbox environment: ${bad.join(', ')} look${bad.length === 1 ? 's' : ''} like secret${bad.length === 1 ? '' : 's'}; ` +
        'builds get no credentials (list the name in allowEnv if it is not one)',
    );
  }
}

/**
 * The complete environment inside the sandbox: nothing of the host's, a fixed base that makes
 * builds independent of locale, time zone and clock, and the caller's variables on top.
 */
export function buildSandboxEnv(opts: {
  readonly sourceDateEpoch: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly allowEnv?: readonly string[];
}): Readonly<Record<string, string>> {
  if (!Number.isSafeInteger(opts.sourceDateEpoch) || opts.sourceDateEpoch < 0) {
    throw new KilnError('INPUT_INVALID', `SOURCE_DATE_EPOCH: expected a non-negative integer, got ${opts.sourceDateEpoch}`);
  }
  const extra = opts.env ?? {};
  assertNoSecrets(extra, opts.allowEnv);
  for (const [name, value] of Object.entries(extra)) {
    if (!NAME.test(name)) throw new KilnError('INPUT_INVALID', `sandbox environment: ${JSON.stringify(name)} is not a valid variable name`);
    if (FIXED.has(name)) throw new KilnError('INPUT_INVALID', `sandbox environment: ${name} is set by the sandbox and cannot be overridden`);
    if (value.includes('\0')) throw new KilnError('INPUT_INVALID', `sandbox environment: ${name} contains a NUL byte`);
  }
  const base: Record<string, string> = {
    PATH: DEFAULT_SANDBOX_PATH,
    HOME: SANDBOX_WORKSPACE,
    SOURCE_DATE_EPOCH: String(opts.sourceDateEpoch),
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
  };
  const merged = { ...base, ...extra };
  // sorted so that the bwrap command line (and anything that logs it) is deterministic
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
