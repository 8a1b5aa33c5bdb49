import { Command, CommanderError } from 'commander';
import { EXIT_USAGE } from './run-action.ts';
import { registerDoctor } from './doctor.ts';
import { registerCopy } from './copy.ts';
import { registerServe } from './serve.ts';
import { registerRegistry } from './registry.ts';
import { registerApk } from './apk.ts';
import { registerImage } from './image.ts';
import { registerSource } from './source.ts';
import { registerAttest } from './attest.ts';
import { registerPackage } from './package.ts';
import { registerKeys } from './keys.ts';
import { registerRepo } from './repo.ts';
import { registerHistory } from './history.ts';
import { registerFactory } from './factory.ts';
import { registerWorker } from './worker.ts';

/** The `kiln` program: one file per command group, each thin over its module. */
export function buildProgram(): Command {
  const program = new Command('kiln')
    .description('a self-hosted factory for hardened, minimal container images')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServe(program);
  registerDoctor(program);
  registerCopy(program);
  registerRegistry(program);
  registerApk(program);
  registerImage(program);
  registerSource(program);
  registerAttest(program);
  registerPackage(program);
  registerKeys(program);
  registerRepo(program);
  registerHistory(program);
  registerFactory(program);
  registerWorker(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit through here with code 0
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    throw e;
  }
}

if (import.meta.main) {
  await main(process.argv.slice(2));
}
