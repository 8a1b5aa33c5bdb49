import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { startRegistry, type RunningRegistry } from '../../registry/index.ts';
import { MediaType, OciLayout, RegistryClient, digestOf, parseManifest, type Descriptor } from '../../oci/index.ts';
import { pushManifests, startDockerRegistry, writeManifests, type TestManifest } from '../../testing/index.ts';
import { imageWithInstalledDb, sampleFacts, samplePackages } from '../attest-fixtures.ts';
import {
  LayoutEvidenceStore,
  RegistryEvidenceStore,
  attachEvidence,
  cosignSignatureTag,
  referrerManifest,
  storeArtifact,
  type EvidenceStore,
} from '../attach/index.ts';
import { PredicateType, imageStatement, statementBytes } from '../provenance/index.ts';
import {
  SIGSTORE_BUNDLE_MEDIA_TYPE,
  SPDX_MEDIA_TYPE,
  buildSpdxDocument,
  generateImageSigningKey,
  parseSigningKey,
  parseVerificationKey,
  signEnvelope,
  sigstoreBundleBytes,
} from '../index.ts';
import { assertVerified, verifyStoredImage, type VerifyResult } from './index.ts';
import { isKilnError } from '../../errors/index.ts';

const key = generateImageSigningKey();
const signingKey = parseSigningKey(key.privatePem, 'test key');
const publicKey = parseVerificationKey(key.publicPem, 'test public key');
const packages = samplePackages(6);

const provenance = {
  builderId: 'https://factory.example.com/kiln',
  imageConfig: { uri: 'images/hello.yaml', digest: digestOf(Buffer.from('hello.yaml')) },
  recipes: [{ name: 'hello', uri: 'recipes/hello.yaml', digest: digestOf(Buffer.from('recipe')) }],
  buildEnvironment: [{ uri: 'pkg:oci/kiln-build-env', digest: { sha256: digestOf(Buffer.from('env')).slice(7) } }],
  invocationId: 'job-1',
  startedOn: 1_700_000_000,
  finishedOn: 1_700_000_060,
};

type Published = { readonly store: EvidenceStore; readonly image: TestManifest; readonly subject: Descriptor };

function check(result: VerifyResult, name: string) {
  const c = result.checks.find((x) => x.name === name);
  assert.ok(c, `check ${name} in ${result.checks.map((x) => x.name).join(', ')}`);
  return c;
}

function assertAllPass(result: VerifyResult): void {
  const failed = result.checks.filter((c) => c.status === 'fail');
  assert.deepEqual(failed, []);
  assert.ok(result.ok);
  for (const name of ['signature.cosign', 'signature.bundle', 'attestations.complete', 'sbom.referrer spdx', 'sbom.referrer cyclonedx', 'sbom.installed']) {
    assert.equal(check(result, name).status, 'pass', name);
  }
}

/** @sigstore/verify, an independent verifier, with trust material made of the public key alone. */
function sigstoreVerify(bundleBytes: Buffer): void {
  const bundle = bundleFromJSON(JSON.parse(bundleBytes.toString('utf8')));
  const keyObject = createPublicKey(key.publicPem);
  const trust = toTrustMaterial(
    { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], ctlogs: [], certificateAuthorities: [], timestampAuthorities: [] },
    (hint: string) => {
      assert.equal(hint, key.keyId);
      return { publicKey: keyObject, validFor: () => true };
    },
  );
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
}

async function bundleLayers(store: EvidenceStore, subject: Descriptor): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const r of await store.referrers(subject.digest, SIGSTORE_BUNDLE_MEDIA_TYPE)) {
    const m = await store.tryManifest(r.digest);
    const parsed = parseManifest(m!.bytes, 'referrer');
    assert.equal(parsed.kind, 'image');
    out.push(await store.readBlob(parsed.manifest.layers[0]!));
  }
  return out;
}

async function attach(p: Published, facts = sampleFacts(p.subject.digest, packages)) {
  return attachEvidence({ target: p.store, manifestDigest: p.subject.digest, facts, key: signingKey, provenance });
}

void describe('attach and verify evidence', () => {
  let dir: string;
  let kiln: RunningRegistry;
  let kilnClient: RegistryClient;
  let n = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kiln-attest-'));
    kiln = await startRegistry({ storageDir: join(dir, 'registry'), port: 0 });
    kilnClient = new RegistryClient({ host: kiln.host });
  });
  after(async () => {
    await kiln.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function inLayout(image?: TestManifest): Promise<Published> {
    const img = image ?? (await imageWithInstalledDb(packages));
    const layout = await OciLayout.open(join(dir, `layout-${n++}`), { create: true });
    await writeManifests(layout, [img], [img], 'v1');
    return { store: new LayoutEvidenceStore(layout, 'hello'), image: img, subject: img.descriptor };
  }

  async function inRegistry(client: RegistryClient, image?: TestManifest): Promise<Published> {
    const img = image ?? (await imageWithInstalledDb(packages));
    const repository = `kiln/hello-${n++}`;
    await pushManifests(client, repository, [img], 'v1');
    return { store: new RegistryEvidenceStore(client, repository), image: img, subject: img.descriptor };
  }

  test('OCI layout: attach everything, every check passes, @sigstore/verify agrees', async () => {
    const p = await inLayout();
    const attached = await attach(p);
    assert.equal(attached.attestations.length, 3);
    const result = await verifyStoredImage(p.store, 'v1', publicKey);
    assertAllPass(result);
    assert.equal(result.digest, p.image.digest);
    for (const type of [PredicateType.slsaProvenance, PredicateType.spdx, PredicateType.cyclonedx]) {
      assert.equal(check(result, `attestation.bundle ${type}`).status, 'pass');
      assert.equal(check(result, `attestation.cosign ${type}`).status, 'pass');
    }
    const bundles = await bundleLayers(p.store, p.subject);
    assert.equal(bundles.length, 4); // the signature and three attestations
    for (const b of bundles) sigstoreVerify(b);
  });

  test('kiln registry: referrers API; tampering is caught with the reason', async () => {
    const p = await inRegistry(kilnClient);
    await attach(p);
    assertAllPass(await verifyStoredImage(p.store, 'v1', publicKey));

    // the wrong public key
    const other = parseVerificationKey(generateImageSigningKey().publicPem, 'other');
    const wrongKey = await verifyStoredImage(p.store, 'v1', other);
    assert.equal(wrongKey.ok, false);
    assert.match(check(wrongKey, 'signature.cosign').reason, /does not verify with the public key/);
    assert.match(check(wrongKey, 'signature.bundle').reason, /DSSE signature does not verify with the public key/);
    assert.throws(() => assertVerified(wrongKey), (e) => isKilnError(e) && e.code === 'VERIFY_FAILED' && /signature\.cosign: /.test(e.message));

    // a tampered manifest: v1 re-tagged to another image that nobody signed
    const intruder = await imageWithInstalledDb(packages);
    await pushManifests(kilnClient, repoOf(p), [intruder], 'v1');
    const retagged = await verifyStoredImage(p.store, 'v1', publicKey);
    assert.equal(retagged.digest, intruder.digest);
    assert.equal(retagged.ok, false);
    assert.match(check(retagged, 'signature.cosign').reason, new RegExp(`no signature: the tag ${cosignSignatureTag(intruder.digest)} is not in`));
    assert.match(check(retagged, 'signature.bundle').reason, /no Sigstore bundle referrer/);

    // a signature made for another image: the good image's signatures copied onto the intruder
    const sig = await kilnClient.getManifest(repoOf(p), cosignSignatureTag(p.image.digest));
    await kilnClient.putManifest(repoOf(p), cosignSignatureTag(intruder.digest), sig.bytes, MediaType.ociManifest);
    const sigBundle = (await bundleLayers(p.store, p.subject))[0]!;
    await storeArtifact(p.store, referrerManifest(intruder.descriptor, SIGSTORE_BUNDLE_MEDIA_TYPE, blobDescriptor(sigBundle, SIGSTORE_BUNDLE_MEDIA_TYPE), sigBundle, { 'dev.sigstore.bundle.predicateType': PredicateType.cosignSign }));
    const copied = await verifyStoredImage(p.store, 'v1', publicKey);
    assert.equal(copied.ok, false);
    assert.match(check(copied, 'signature.cosign').reason, new RegExp(`the signature is for ${p.image.digest.slice(0, 19)}…, not this image ${intruder.digest.slice(0, 19)}`));
    assert.match(check(copied, 'signature.bundle').reason, /the statement's subject is sha256:[0-9a-f]{12}…, not this image/);
  });

  test('a DSSE envelope with a broken payload type, a truncated bundle, a swapped SBOM', async () => {
    const p = await inRegistry(kilnClient);
    await attach(p);
    const spdx = buildSpdxDocument(sampleFacts(p.subject.digest, packages));
    const statement = statementBytes(imageStatement('hello', p.subject.digest, PredicateType.spdx, spdx.document));
    // correctly signed, but as text/plain: only the payload type check can catch it
    const broken = sigstoreBundleBytes(signEnvelope('text/plain', statement, signingKey), signingKey.keyId);
    await storeArtifact(p.store, referrerManifest(p.subject, SIGSTORE_BUNDLE_MEDIA_TYPE, blobDescriptor(broken, SIGSTORE_BUNDLE_MEDIA_TYPE), broken, { 'dev.sigstore.bundle.predicateType': PredicateType.spdx }));
    const r1 = await verifyStoredImage(p.store, 'v1', publicKey);
    assert.equal(r1.ok, false);
    const bad = r1.checks.filter((c) => c.status === 'fail');
    assert.deepEqual(bad.map((c) => c.name), [`attestation.bundle ${PredicateType.spdx}`]);
    assert.match(bad[0]!.reason, /DSSE payloadType is "text\/plain", expected application\/vnd.in-toto\+json/);

    const q = await inRegistry(kilnClient);
    await attach(q);
    const good = (await bundleLayers(q.store, q.subject))[0]!;
    const truncated = good.subarray(0, Math.floor(good.length / 2));
    await storeArtifact(q.store, referrerManifest(q.subject, SIGSTORE_BUNDLE_MEDIA_TYPE, blobDescriptor(truncated, SIGSTORE_BUNDLE_MEDIA_TYPE), truncated, { 'dev.sigstore.bundle.predicateType': PredicateType.cyclonedx }));
    // and a plain SPDX referrer whose SBOM is not the signed one (a package dropped)
    const swapped = buildSpdxDocument(sampleFacts(q.subject.digest, packages.slice(1))).bytes;
    await storeArtifact(q.store, referrerManifest(q.subject, SPDX_MEDIA_TYPE, blobDescriptor(swapped, SPDX_MEDIA_TYPE), swapped, {}));
    const r2 = await verifyStoredImage(q.store, 'v1', publicKey);
    assert.equal(r2.ok, false);
    assert.deepEqual(r2.checks.filter((c) => c.status === 'fail').map((c) => c.name).sort(), [`attestation.bundle ${PredicateType.cyclonedx}`, 'sbom.referrer spdx']);
    const failedBundle = r2.checks.find((c) => c.name === `attestation.bundle ${PredicateType.cyclonedx}` && c.status === 'fail');
    assert.match(failedBundle?.reason ?? '', /the Sigstore bundle is not valid JSON/);
    assert.match(check(r2, 'sbom.referrer spdx').reason, /the SBOM blob sha256:[0-9a-f]{12}… is not the signed https:\/\/spdx.dev\/Document attestation's document/);
  });

  test('a swapped SBOM blob in a layout; an SBOM that does not match the installed packages', async () => {
    const p = await inLayout();
    const attached = await attach(p);
    const layout = await OciLayout.open((p.store.description).slice(4));
    const m = parseManifest(await layout.readBlob(attached.sboms.spdx), 'sbom referrer');
    const blob = m.kind === 'image' ? m.manifest.layers[0] : undefined;
    assert.ok(blob);
    await writeFile(layout.blobPath(blob.digest), buildSpdxDocument(sampleFacts(p.subject.digest, packages.slice(2))).bytes);
    const r = await verifyStoredImage(p.store, 'v1', publicKey);
    assert.deepEqual(r.checks.filter((c) => c.status === 'fail').map((c) => c.name), ['sbom.referrer spdx']);
    assert.match(check(r, 'sbom.referrer spdx').reason, /blob sha256:[0-9a-f]{64} from .*: (expected [0-9]+ bytes, found [0-9]+|.*hashes to)/);

    // attested honestly, but from facts that miss a package and have a wrong version
    const q = await inLayout();
    const facts = sampleFacts(q.subject.digest, packages.slice(1).map((x, i) => (i === 0 ? { ...x, version: '0.0.1-r0' } : x)));
    await attach(q, facts);
    const r2 = await verifyStoredImage(q.store, 'v1', publicKey);
    assert.deepEqual(r2.checks.filter((c) => c.status === 'fail').map((c) => c.name), ['sbom.installed']);
    assert.match(check(r2, 'sbom.installed').reason, /SPDX: glibc 1.0.0-r0 is installed but not in the SBOM; pkg-01 is installed at 1.1.0-r1, the SBOM says 0.0.1-r0/);
  });

  test('docker-registry (no referrers API): the fallback tag carries the referrers', async () => {
    const docker = await startDockerRegistry();
    try {
      const p = await inRegistry(new RegistryClient({ host: docker.host }));
      // the factory's way in: a reference string, not an open store
      await attachEvidence({ target: p.store.description, manifestDigest: p.subject.digest, facts: sampleFacts(p.subject.digest, packages), key: signingKey, provenance });
      const result = await verifyStoredImage(p.store, 'v1', publicKey);
      assertAllPass(result);
      for (const b of await bundleLayers(p.store, p.subject)) sigstoreVerify(b);
    } finally {
      await docker.close();
    }
  });

  test('deterministic: the same image and facts give the same SBOM referrers', async () => {
    const image = await imageWithInstalledDb(packages);
    const a = await attach(await inLayout(image));
    const b = await attach(await inLayout(image));
    assert.deepEqual(a.sboms, b.sboms);
  });

  function repoOf(p: Published): string {
    return p.store.description.slice(p.store.description.indexOf('/') + 1);
  }
});

function blobDescriptor(data: Buffer, mediaType: string): Descriptor {
  return { mediaType, digest: digestOf(data), size: data.length };
}
