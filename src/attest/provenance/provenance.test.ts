import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { digestOf } from '../../oci/index.ts';
import { sampleFacts, samplePackages } from '../attest-fixtures.ts';
import { KILN_BUILD_TYPE, PredicateType, STATEMENT_TYPE, buildProvenance, parseStatement, statementBytes, statementNamesDigest } from './index.ts';

void describe('SLSA v1 provenance', () => {
  const digest = digestOf(Buffer.from('manifest'));
  const facts = sampleFacts(digest, samplePackages(3));
  const input = {
    facts,
    builderId: 'https://factory.example.com/kiln',
    imageConfig: { uri: 'images/hello.yaml', digest: digestOf(Buffer.from('config')) },
    recipes: [{ name: 'glibc', uri: 'recipes/glibc.yaml', digest: digestOf(Buffer.from('recipe')) }],
    buildEnvironment: [{ uri: 'pkg:oci/build-env@sha256:00', digest: { sha256: '00'.repeat(32) } }],
    internalParameters: { worker: 'w1' },
    invocationId: 'job-42',
    startedOn: 1_700_000_000,
    finishedOn: 1_700_000_090,
  };

  test('an in-toto Statement v1 about the image with every input by digest', () => {
    const s = buildProvenance(input);
    assert.equal(s._type, STATEMENT_TYPE);
    assert.equal(s.predicateType, PredicateType.slsaProvenance);
    assert.deepEqual(s.subject, [{ name: 'registry.example.com/kiln/hello', digest: { sha256: digest.slice(7) } }]);
    const def = s.predicate.buildDefinition;
    assert.equal(def.buildType, KILN_BUILD_TYPE);
    assert.deepEqual((def.externalParameters as { imageConfig: unknown }).imageConfig, { uri: 'images/hello.yaml', digest: { sha256: input.imageConfig.digest.slice(7) } });
    assert.deepEqual(def.internalParameters, { worker: 'w1' });
    const uris = def.resolvedDependencies.map((d) => d.uri ?? '');
    assert.deepEqual(uris, [...uris].sort());
    // three sources, three packages, one recipe, one build environment
    assert.equal(def.resolvedDependencies.length, 8);
    for (const d of def.resolvedDependencies) assert.ok(Object.keys(d.digest).length > 0, `${d.uri} has a digest`);
    assert.ok(uris.includes('pkg:apk/kiln/glibc@1.0.0-r0?arch=x86_64&distro=kiln'));
    assert.deepEqual(s.predicate.runDetails, {
      builder: { id: 'https://factory.example.com/kiln' },
      metadata: { invocationId: 'job-42', startedOn: '2023-11-14T22:13:20Z', finishedOn: '2023-11-14T22:14:50Z' },
    });
    const parsed = parseStatement(statementBytes(s), 'test');
    assert.ok(statementNamesDigest(parsed, digest));
    assert.ok(!statementNamesDigest(parsed, digestOf(Buffer.from('other'))));
    assert.ok(statementBytes(buildProvenance(input)).equals(statementBytes(s)));
  });
});
