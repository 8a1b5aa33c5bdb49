import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApkVersion } from '../apk/index.ts';
import type { Trigger as FactoryTrigger } from '../factory/index.ts';
import { TriggerSchema, type Trigger } from './publication.ts';

// The factory hands its triggers to recordPublication unchanged: a change to either
// shape must fail here (type check and parse), not in a daily cycle.
test('every factory trigger is a store trigger and passes its schema', () => {
  const v = (s: string): ApkVersion => s as ApkVersion;
  const triggers: readonly FactoryTrigger[] = [
    { kind: 'schedule' },
    { kind: 'package-updated', packages: [{ name: 'musl', from: v('1.2.4-r0'), to: v('1.2.5-r0') }, { name: 'zlib', to: v('1.3-r0') }] },
    { kind: 'urgent-fix', advisory: 'CVE-2026-0001', packages: ['openssl'] },
    { kind: 'manual', by: 'ops' },
  ];
  for (const t of triggers) {
    const asStore: Trigger = t;
    assert.deepEqual(TriggerSchema.parse(asStore), t);
  }
});
