import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { lockEntriesOf, type ApkLockEntry, type ApkResolution } from '../../apk/index.ts';
import { KilnError, describeZodIssues } from '../../errors/index.ts';
import { canonicalJson } from '../../oci/index.ts';
import { parseArch, type Arch } from '../arch.ts';

/**
 * What `kiln image build --lockfile FILE` writes and later rebuilds from: per
 * architecture the exact packages (name, version and the APKINDEX `C:` checksum that
 * identifies one build of a package), plus the digest of the configuration files it
 * was resolved for.
 *
 * JSON rather than YAML: it is written and read by programs (as apko's apko.lock.json
 * is), and JSON never turns a version such as `1.10` into a number or `no` into false;
 * kiln writes it in canonical form (sorted keys, two-space indent), so the same set
 * always gives the same bytes and diffs stay small.
 */
export type ImageLockfile = {
  readonly lockfileVersion: 1;
  /** `sha256:` over the configuration file and everything it includes. */
  readonly configDigest: string;
  readonly archs: Readonly<Partial<Record<Arch, readonly LockedPackage[]>>>;
};

export type LockedPackage = { readonly name: string; readonly version: string; readonly checksum: string };

const LockedPackageSchema = z
  .object({
    name: z.string().min(1),
    version: z.string().min(1),
    checksum: z.string().regex(/^Q1[A-Za-z0-9+/]{27}=$/, 'expected Q1 + base64 SHA-1 (an APKINDEX C: value)'),
  })
  .strict();

const LockfileSchema = z
  .object({
    lockfileVersion: z.literal(1),
    configDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'expected sha256: + 64 hex digits'),
    archs: z.record(z.string(), z.array(LockedPackageSchema)),
  })
  .strict();

/** Parses a lockfile; problems name the file and the field (`archs.x86_64[2].checksum`). */
export function parseImageLockfile(text: string, file: string): ImageLockfile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new KilnError('INPUT_INVALID', `${file}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const parsed = LockfileSchema.safeParse(json);
  if (!parsed.success) throw new KilnError('INPUT_INVALID', `${file}: ${describeZodIssues(parsed.error)}`);
  const archs: Partial<Record<Arch, readonly LockedPackage[]>> = {};
  for (const [name, packages] of Object.entries(parsed.data.archs)) {
    const arch = parseArch(name);
    if (arch === undefined) throw new KilnError('INPUT_INVALID', `${file}: archs.${name}: not an architecture`);
    archs[arch] = packages;
  }
  return { lockfileVersion: 1, configDigest: parsed.data.configDigest, archs };
}

export async function readImageLockfile(file: string): Promise<ImageLockfile | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KilnError('IO', `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  return parseImageLockfile(text, file);
}

/** The lockfile for a build: one sorted package list per architecture. */
export function imageLockfileOf(configDigest: string, resolutions: readonly { readonly arch: Arch; readonly resolution: ApkResolution }[]): ImageLockfile {
  const archs: Partial<Record<Arch, readonly LockedPackage[]>> = {};
  for (const { arch, resolution } of resolutions) archs[arch] = lockEntriesOf(resolution).map(({ name, version, checksum }) => ({ name, version, checksum }));
  return { lockfileVersion: 1, configDigest, archs };
}

export function encodeImageLockfile(lock: ImageLockfile): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(lock)), null, 2)}\n`;
}

/** The lock entries for one architecture, with origins such as `kiln.lock.json archs.x86_64[3]`; LOCK_MISMATCH when the lockfile lacks it. */
export function lockEntriesFor(lock: ImageLockfile, arch: Arch, file: string): ApkLockEntry[] {
  const packages = lock.archs[arch];
  if (packages === undefined) {
    const has = Object.keys(lock.archs).sort().join(', ') || 'none';
    throw new KilnError('LOCK_MISMATCH', `${file} has no packages for ${arch} (it has ${has}); build without --lockfile, or delete it to lock again`);
  }
  return packages.map((p, i) => ({ ...p, origin: `${file} archs.${arch}[${i}]` }));
}
