import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';
import { isKilnError, type KilnErrorCode } from '../errors/index.ts';
import type { Digest } from '../oci/index.ts';
import type { PackageRecord, PublicationInput } from './index.ts';

/** Builders and helpers for store.contract.ts. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function digest(): Digest {
  return `sha256:${randomBytes(32).toString('hex')}` as Digest;
}

export function pkg(name: string, version: string, arch = 'x86_64'): PackageRecord {
  return { name, version, arch, checksum: `Q1${name}${version}=`, origin: name };
}

export function publication(
  image: string,
  version: string,
  d: Digest,
  at: string,
  extra: Partial<Omit<PublicationInput, 'tags'>> & { readonly tags?: readonly string[] } = {},
): PublicationInput {
  const { tags = [], ...rest } = extra;
  const stamp = at.replace(/[-:]/g, '').replace(/\d\dZ$/, 'Z').replace(/\.\d+/, '');
  return {
    image,
    line: version.split('.').slice(0, 2).join('.'),
    version,
    variant: 'prod',
    digest: d,
    timestampTag: `${version}-${stamp}`,
    publishedAt: new Date(at),
    trigger: { kind: 'schedule' },
    reason: 'daily rebuild',
    inputFingerprint: `sha256:${d.slice(-8)}`,
    previousDigest: null,
    packages: [],
    changes: [],
    ...rest,
    tags: tags.map((tag) => ({ repository: `kiln/${image}`, tag })),
  };
}

export function cycle(cycleId: string, image: string) {
  return {
    cycleId,
    image,
    line: '1',
    version: '1',
    variant: 'prod',
    status: 'skipped',
    reason: 'no package changed',
    digest: null,
    at: new Date('2026-03-01T05:00:00Z'),
  } as const;
}

export async function rejects(run: () => Promise<unknown>, code: KilnErrorCode): Promise<Error> {
  try {
    await run();
  } catch (error) {
    assert.ok(isKilnError(error), `expected KilnError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected KilnError ${code}, but it succeeded`);
}

/** Makes any INSERT into one table throw, to break a transaction part-way. */
export class FailOnInsertInto implements KyselyPlugin {
  readonly #table: string;
  constructor(table: string) {
    this.#table = table;
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'InsertQueryNode' && args.node.into?.table.identifier.name === this.#table) {
      throw new Error(`injected failure: insert into ${this.#table}`);
    }
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}
