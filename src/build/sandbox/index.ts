export { runInSandbox } from './run-in-sandbox.ts';
export { assertSandboxSucceeded, describeSandboxResult } from './sandbox-failure.ts';
export { assertNoSecrets, buildSandboxEnv } from './sandbox-env.ts';
export {
  DEFAULT_SANDBOX_PATH,
  DEFAULT_TIMEOUT_MS,
  SANDBOX_DESTDIR_ROOT,
  SANDBOX_GID,
  SANDBOX_UID,
  SANDBOX_WORKSPACE,
  type LogLine,
  type SandboxLimits,
  type SandboxLog,
  type SandboxMount,
  type SandboxOptions,
  type SandboxResult,
} from './sandbox-options.ts';
