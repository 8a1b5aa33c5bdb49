import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeZodIssues, KilnError } from '../../errors/index.ts';
import type { InstalledPackage } from './environment-provider.ts';

const ProviderSchema = z.object({ kind: z.enum(['debian', 'apk']), identity: z.record(z.string(), z.string()) }).strict();

/** What `<hash>/environment.json` says about a cached environment. */
export const EnvironmentRecordSchema = z
  .object({
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    provider: ProviderSchema,
    requested: z.array(z.string()),
    /** A layered environment: the one it was built on. */
    base: z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), provider: ProviderSchema, requested: z.array(z.string()) }).strict().optional(),
    /** Files of the base that kiln packages replaced. */
    overwritten: z.array(z.object({ path: z.string(), by: z.string(), was: z.string().optional() }).strict()).optional(),
    createdAt: z.string(),
  })
  .strict();
export type EnvironmentRecord = z.infer<typeof EnvironmentRecordSchema>;

/**
 * `<hash>/packages.json`: every installed package with its version and origin. Records
 * written before kiln had its own environment packages carry no origin: those were Debian's.
 */
export const InstalledPackagesSchema = z.array(
  z
    .object({
      name: z.string(),
      version: z.string(),
      arch: z.string(),
      origin: z.enum(['debian', 'kiln']).default('debian'),
      repository: z.string().optional(),
      checksum: z.string().optional(),
    })
    .strict(),
);

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
