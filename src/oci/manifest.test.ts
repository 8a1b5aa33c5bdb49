import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJsonBytes } from './canonical-json.ts';
import { digestOf } from './digest.ts';
import { parseManifest } from './manifest.ts';
import { MediaType } from './media-types.ts';

const config = { mediaType: MediaType.ociConfig, digest: digestOf('{}'), size: 2 };

describe('parseManifest', () => {
  test('an OCI image manifest with subject, artifactType and annotations', () => {
    const doc = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: 'application/spdx+json',
      config,
      layers: [{ ...config, mediaType: 'application/spdx+json' }],
      subject: { mediaType: MediaType.ociManifest, digest: digestOf('x'), size: 1 },
      annotations: { 'org.opencontainers.image.created': '2025-03-07T00:38:00Z' },
    };
    const parsed = parseManifest(canonicalJsonBytes(doc), 'test');
    assert.equal(parsed.kind, 'image');
    assert.equal(parsed.manifest.subject?.digest, digestOf('x'));
    assert.equal(parsed.manifest.artifactType, 'application/spdx+json');
  });

  test('the media type comes from the document, then the header, then the shape', () => {
    const index = canonicalJsonBytes({ schemaVersion: 2, manifests: [] });
    assert.equal(parseManifest(index, 't').kind, 'index');
    assert.equal(parseManifest(index, 't', MediaType.dockerManifestList).mediaType, MediaType.dockerManifestList);
    const docker = canonicalJsonBytes({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers: [] });
    assert.equal(parseManifest(docker, 't').mediaType, MediaType.dockerManifest);
  });

  test('malformed manifests are MANIFEST_INVALID with the field at fault', () => {
    assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":'), 'localhost/x:1'), {
      code: 'MANIFEST_INVALID', message: /localhost\/x:1: not valid JSON/,
    });
    assert.throws(() => parseManifest(Buffer.from('[]'), 'm'), { code: 'MANIFEST_INVALID', message: /JSON object/ });
    assert.throws(
      () => parseManifest(canonicalJsonBytes({ schemaVersion: 2, config: { ...config, digest: 'sha256:1' }, layers: [] }), 'm'),
      { code: 'MANIFEST_INVALID', message: /config\.digest/ },
    );
    assert.throws(() => parseManifest(canonicalJsonBytes({ schemaVersion: 1, config, layers: [] }), 'm'), {
      code: 'MANIFEST_INVALID', message: /schemaVersion/,
    });
    assert.throws(() => parseManifest(canonicalJsonBytes({ schemaVersion: 2, mediaType: 'text/plain', layers: [] }), 'm'), {
      code: 'MANIFEST_INVALID', message: /unsupported mediaType/,
    });
    assert.throws(
      () => parseManifest(canonicalJsonBytes({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] }), 'm', MediaType.ociManifest),
      { code: 'MANIFEST_INVALID', message: /does not match/ },
    );
  });
});
