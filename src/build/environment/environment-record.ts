import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeZodIssues, KilnError } from '../../errors/index.ts';
import type { InstalledPackage } from './environment-provider.ts';

/** What `<hash>/environment.json` says about a cached environment. */
export const EnvironmentRecordSchema = z
  .object({
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    provider: z.object({ kind: z.enum(['debian', 'apk']), identity: z.record(z.string(), z.string()) }).strict(),
    requested: z.array(z.string()),
    createdAt: z.string(),
  })
  .strict();
export type EnvironmentRecord = z.infer<typeof EnvironmentRecordSchema>;

/** `<hash>/packages.json`: every installed package with its version. */
export const InstalledPackagesSchema = z.array(z.object({ name: z.string(), version: z.string(), arch: z.string() }).strict());

export const RECORD_FILE = 'environment.json';
export const PACKAGES_FILE = 'packages.json';
export const ROOTFS_DIR = 'rootfs';
export const BUILD_LOG_FILE = 'build.log';

/** Reads and checks the record of the environment in `dir`; ENVIRONMENT_FAILED when it is damaged. */
export async function readEnvironmentRecord(dir: string): Promise<{ record: EnvironmentRecord; installed: readonly InstalledPackage[] }> {
  const record = EnvironmentRecordSchema.safeParse(await readJson(join(dir, RECORD_FILE)));
  if (!record.success) {
    throw new KilnError('ENVIRONMENT_FAILED', `${join(dir, RECORD_FILE)}: ${describeZodIssues(record.error)}`);
  }
  const installed = InstalledPackagesSchema.safeParse(await readJson(join(dir, PACKAGES_FILE)));
  if (!installed.success) {
    throw new KilnError('ENVIRONMENT_FAILED', `${join(dir, PACKAGES_FILE)}: ${describeZodIssues(installed.error)}`);
  }
  return { record: record.data, installed: installed.data };
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (e) {
    throw new KilnError('ENVIRONMENT_FAILED', `${path}: ${(e as Error).message}`, { cause: e });
  }
}
