import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isKilnError } from '../../errors/index.ts';
import type { Digest } from '../../oci/index.ts';
import { loadImageConfig } from '../load-image-config.ts';
import { buildRootfs, type BuiltRootfs } from '../rootfs/build-rootfs.ts';
import { resolveImageInputs } from '../rootfs/image-inputs.ts';
import { createTestRepo, TEST_EPOCH, type TestRepo } from '../rootfs/test-repo.ts';
import type { ImageSpec } from '../image-spec.ts';
import { archPackageEvidence, assertSbomComplete, imageFactsFor, sbomViolations, type ArchPackageEvidence } from './index.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}` as Digest;

void describe('the SBOM completeness gate of a build', () => {
  let repo: TestRepo;
  let spec: ImageSpec;
  let rootfs: BuiltRootfs;
  let evidence: ArchPackageEvidence;

  before(async () => {
    repo = await createTestRepo();
    const config = join(repo.dir, 'hello.yaml');
    await writeFile(
      config,
      `contents:\n  packages: [hello]\nentrypoint:\n  command: /usr/bin/hello\naccounts:\n  users:\n    - { username: nonroot, uid: 65532, gid: 65532 }\npaths:\n  - { path: /data/cache, type: directory, uid: 65532, gid: 65532, permissions: 0o700 }\n  - { path: /etc/hello.conf, type: empty-file, uid: 0, gid: 0, permissions: 0o644 }\n`,
    );
    spec = (await loadImageConfig(config)).spec;
    const inputs = await resolveImageInputs(spec, config, { repos: [repo.dir], keyrings: [repo.keyFile] });
    rootfs = await buildRootfs({ spec, arch: 'x86_64', repositories: inputs.repositories, keys: inputs.keys, configName: 'hello.yaml', sourceDateEpoch: TEST_EPOCH });
    evidence = await archPackageEvidence(rootfs);
  });
  after(() => repo.cleanup());

  const factsOf = (e: ArchPackageEvidence) => imageFactsFor(e, spec, { identity: { name: 'hello', repository: 'hello' }, digest: DIGEST, sourceDateEpoch: TEST_EPOCH });

  test('a real build is complete: packages, their files, paths:, home directories and generated files are all accounted for', async () => {
    assert.deepEqual(sbomViolations({ spec, arch: 'x86_64', entries: rootfs.entries, facts: factsOf(evidence) }), []);
    assert.deepEqual(evidence.packages.map((p) => p.name), ['hello', 'hello-data', 'libgreet']);
    for (const p of evidence.packages) {
      // the digest of the very bytes that were read and installed, which are the file's
      const file = join(repo.dir, 'x86_64', `${p.name}-${p.version}.apk`);
      assert.equal(p.sha256, createHash('sha256').update(await readFile(file)).digest('hex'), `${p.name}: the .apk file's digest`);
    }
    assert.equal(evidence.packageRepositories['hello'], repo.dir);
    assert.match(evidence.indexes[0]?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  });

  test('a file no package owns and the configuration does not write fails the build, with the list', () => {
    const entries = [...rootfs.entries, { kind: 'file' as const, path: 'usr/bin/sneaky', mode: 0o755, uid: 0, gid: 0, content: { kind: 'bytes' as const, data: Buffer.from('x') } }];
    const violations = sbomViolations({ spec, arch: 'x86_64', entries, facts: factsOf(evidence) });
    assert.deepEqual(violations.map((v) => [v.kind, v.reason]), [['file-unowned', 'usr/bin/sneaky belongs to no package and is not an image configuration path']]);
    assert.throws(
      () => assertSbomComplete({ spec, arch: 'x86_64', entries, facts: factsOf(evidence) }),
      (e: unknown) => isKilnError(e) && e.code === 'VERIFY_FAILED' && /x86_64: the SBOM would not describe the image \(1 violation\); nothing was published:\n {2}usr\/bin\/sneaky belongs to no package/.test(e.message),
    );
  });

  test('a package missing from the SBOM facts is named for both formats', () => {
    const facts = factsOf({ ...evidence, packages: evidence.packages.filter((p) => p.name !== 'libgreet') });
    const reasons = sbomViolations({ spec, arch: 'x86_64', entries: rootfs.entries, facts }).map((v) => v.reason);
    assert.deepEqual(reasons, ['CycloneDX: libgreet 1.0-r0 is installed but not in the SBOM', 'SPDX: libgreet 1.0-r0 is installed but not in the SBOM']);
  });
});
