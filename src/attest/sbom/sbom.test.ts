import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { digestOf } from '../../oci/index.ts';
import { installedDbText, installedOf, sampleFacts, samplePackages } from '../attest-fixtures.ts';
import {
  apkPackagesOfCycloneDx,
  apkPackagesOfSpdx,
  buildCycloneDxBom,
  buildSpdxDocument,
  checkSbomCompleteness,
  parseInstalledDb,
} from './index.ts';

const digest = digestOf(Buffer.from('an image manifest'));

async function spdxValidator() {
  const schema = JSON.parse(await readFile(new URL('./schemas/spdx-2.3-schema.json', import.meta.url), 'utf8')) as object;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

const buildSbom = {
  spdx: [
    {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'glibc-build',
      documentNamespace: 'https://example.org/glibc-build',
      creationInfo: { created: '2023-01-01T00:00:00Z', creators: ['Tool: melange'] },
      packages: [
        { SPDXID: 'SPDXRef-Package-glibc', name: 'glibc', downloadLocation: 'NOASSERTION', filesAnalyzed: false, hasFiles: ['SPDXRef-File-1'] },
        { SPDXID: 'SPDXRef-Package-src', name: 'glibc-src', downloadLocation: 'https://ftp.gnu.org/glibc.tar.xz', filesAnalyzed: false },
      ],
      files: [{ SPDXID: 'SPDXRef-File-1', fileName: './usr/lib/libc.so.6', checksums: [{ algorithm: 'SHA1', checksumValue: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' }] }],
      relationships: [
        { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Package-glibc' },
        { spdxElementId: 'SPDXRef-Package-glibc', relationshipType: 'GENERATED_FROM', relatedSpdxElement: 'SPDXRef-Package-src' },
        { spdxElementId: 'SPDXRef-Package-glibc', relationshipType: 'CONTAINS', relatedSpdxElement: 'SPDXRef-File-1' },
      ],
    },
  ],
}.spdx[0];

void describe('SBOMs', () => {
  const packages = samplePackages(8).map((p, i) => (i === 0 ? { ...p, spdx: buildSbom } : p));
  const facts = sampleFacts(digest, packages);

  test('SPDX 2.3 validates against the official schema and lists every package', async () => {
    const validate = await spdxValidator();
    const { document, bytes } = buildSpdxDocument(facts);
    assert.ok(validate(JSON.parse(bytes.toString('utf8'))), JSON.stringify(validate.errors, null, 2));
    const doc = document as { packages: { SPDXID: string; name: string }[]; relationships: { relationshipType: string; spdxElementId: string; relatedSpdxElement: string }[]; files: { SPDXID: string }[] };
    assert.deepEqual(apkPackagesOfSpdx(document, 'test').map((p) => p.name), packages.map((p) => p.name).sort());
    const ids = new Set(doc.packages.map((p) => p.SPDXID));
    assert.ok(ids.has('SPDXRef-Image'));
    // merged build SBOM, re-namespaced
    assert.ok(ids.has('SPDXRef-Build-glibc-Package-src'));
    assert.deepEqual(doc.files.map((f) => f.SPDXID), ['SPDXRef-Build-glibc-File-1']);
    assert.deepEqual((document as { hasExtractedLicensingInfos: { licenseId: string }[] }).hasExtractedLicensingInfos.map((l) => l.licenseId), ['LicenseRef-kiln-custom']);
    const types = new Set(doc.relationships.map((r) => r.relationshipType));
    for (const t of ['DESCRIBES', 'CONTAINS', 'DEPENDS_ON', 'GENERATED_FROM']) assert.ok(types.has(t), t);
    // every relationship points at an element that exists
    for (const r of doc.relationships) {
      for (const id of [r.spdxElementId, r.relatedSpdxElement]) {
        assert.ok(id === 'SPDXRef-DOCUMENT' || ids.has(id) || doc.files.some((f) => f.SPDXID === id), `${id} exists`);
      }
    }
    const image = doc.packages.find((p) => p.SPDXID === 'SPDXRef-Image') as unknown as { externalRefs: { referenceLocator: string }[] };
    assert.match(image.externalRefs[0]!.referenceLocator, /^pkg:oci\/hello@sha256:[0-9a-f]{64}\?arch=amd64&repository_url=registry.example.com%2Fkiln%2Fhello$/);
  });

  test('CycloneDX 1.6 validates against the official (strict) schema', async () => {
    const { document, bytes } = buildCycloneDxBom(facts);
    const error = await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(bytes.toString('utf8'));
    assert.equal(error, null, JSON.stringify(error, null, 2));
    const doc = document as { serialNumber: string; metadata: { timestamp: string; component: { type: string } }; dependencies: unknown[] };
    assert.equal(doc.metadata.component.type, 'container');
    assert.equal(doc.metadata.timestamp, '2023-11-14T22:13:20.000Z');
    assert.match(doc.serialNumber, /^urn:uuid:[0-9a-f-]{36}$/);
    assert.equal(doc.dependencies.length, packages.length + 1);
    assert.deepEqual(apkPackagesOfCycloneDx(document, 'test').map((p) => p.name), packages.map((p) => p.name).sort());
  });

  test('deterministic: the same facts give the same bytes, in any package order', () => {
    const again = sampleFacts(digest, [...packages].reverse());
    assert.ok(buildSpdxDocument(facts).bytes.equals(buildSpdxDocument(again).bytes));
    assert.ok(buildCycloneDxBom(facts).bytes.equals(buildCycloneDxBom(again).bytes));
    const other = sampleFacts(digestOf(Buffer.from('another manifest')), packages);
    assert.notEqual(JSON.parse(buildSpdxDocument(other).bytes.toString()).documentNamespace, JSON.parse(buildSpdxDocument(facts).bytes.toString()).documentNamespace);
  });

  test('completeness: installed packages and image files against the SBOM', () => {
    const installed = parseInstalledDb(installedDbText(packages));
    assert.deepEqual(installed, installedOf(packages).sort((a, b) => (a.name < b.name ? -1 : 1)));
    const sbomPackages = apkPackagesOfSpdx(buildSpdxDocument(facts).document, 'test');
    const files = [...installed.flatMap((p) => p.paths), 'usr', 'usr/share', 'etc/passwd', 'lib/apk/db/installed'];
    assert.deepEqual(checkSbomCompleteness({ sbomPackages, installed, files }), []);
    const violations = checkSbomCompleteness({
      sbomPackages: sbomPackages.filter((p) => p.name !== 'pkg-03').concat({ name: 'ghost', version: '1' }),
      installed: installed.map((p) => (p.name === 'pkg-04' ? { ...p, version: '9.9-r0' } : p)),
      files: [...files, 'usr/bin/dropped-in'],
    });
    assert.deepEqual(violations.map((v) => v.kind).sort(), ['file-unowned', 'package-extra', 'package-missing', 'package-version']);
  });
});
