import { createHash } from 'node:crypto';
import type { SourceStepResult } from '../source/index.ts';
import { redactUrl } from '../source/index.ts';

/** Where melange (and so apko and scanners) look for a package's own SBOM inside it. */
export const SBOM_DIR = 'var/lib/db/sbom';

export type PackageSbomInput = {
  readonly name: string;
  /** `VERSION-rEPOCH`. */
  readonly fullVersion: string;
  readonly arch: string;
  /** The recipe's (main package's) name: subpackages come from its sources too. */
  readonly origin: string;
  /** An SPDX license expression, or undefined when the recipe declares none. */
  readonly license: string | undefined;
  readonly copyright: string | undefined;
  readonly url: string | undefined;
  readonly description: string | undefined;
  readonly sources: readonly SourceStepResult[];
  readonly sourceDateEpoch: number;
  readonly toolVersion: string;
  /** The recipe name and version purl namespace (`kiln`). */
  readonly namespace: string;
};

type SpdxPackage = Record<string, unknown> & { readonly SPDXID: string };

/** `var/lib/db/sbom/NAME-VERSION-rEPOCH.spdx.json`, as melange names it. */
export function packageSbomPath(name: string, fullVersion: string): string {
  return `${SBOM_DIR}/${name}-${fullVersion}.spdx.json`;
}

/**
 * The SPDX 2.3 document a package carries about itself, as melange writes one: the
 * package (license declared from the recipe's `copyright`, a `pkg:apk` purl) and every
 * upstream source it was generated from (download location and checksums from the
 * source stage, git commit, patches). Deterministic: the creation time is
 * SOURCE_DATE_EPOCH, IDs derive from names, and the namespace from a hash of the content.
 */
export function packageSbom(input: PackageSbomInput): string {
  const pkgId = spdxId(`SPDXRef-Package-${input.name}-${input.fullVersion}`);
  const main: SpdxPackage = {
    SPDXID: pkgId,
    name: input.name,
    versionInfo: input.fullVersion,
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: input.license ?? 'NOASSERTION',
    copyrightText: input.copyright ?? 'NOASSERTION',
    downloadLocation: 'NOASSERTION',
    originator: `Organization: ${input.namespace}`,
    supplier: `Organization: ${input.namespace}`,
    ...(input.url ? { homepage: input.url } : {}),
    ...(input.description ? { description: input.description } : {}),
    primaryPackagePurpose: 'APPLICATION',
    externalRefs: [
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: `pkg:apk/${input.namespace}/${encodeURIComponent(input.name)}@${encodeURIComponent(input.fullVersion)}?arch=${encodeURIComponent(input.arch)}&distro=${input.namespace}`,
      },
    ],
  };
  const sources = input.sources.flatMap((s, i) => sourcePackages(s, i, input));
  const relationships = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: pkgId },
    ...sources.map((s) => ({ spdxElementId: pkgId, relationshipType: 'GENERATED_FROM', relatedSpdxElement: s.SPDXID })),
  ];
  const body = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: `apk-${input.name}-${input.fullVersion}`,
    creationInfo: {
      created: new Date(input.sourceDateEpoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: [`Tool: kiln-${input.toolVersion}`, `Organization: ${input.namespace}`],
      licenseListVersion: '3.22',
    },
    documentDescribes: [pkgId],
    packages: [main, ...sources],
    relationships,
  };
  const namespaceHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const doc = { ...body, documentNamespace: `https://spdx.org/spdxdocs/kiln/${encodeURIComponent(input.name)}-${encodeURIComponent(input.fullVersion)}-${namespaceHash}` };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function sourcePackages(s: SourceStepResult, i: number, input: PackageSbomInput): SpdxPackage[] {
  switch (s.kind) {
    case 'fetch': {
      const file = new URL(s.uri).pathname.split('/').pop() || `source-${i}`;
      const name = s.purl.name ?? input.origin;
      const version = s.purl.version ?? input.fullVersion.replace(/-r\d+$/, '');
      return [
        {
          SPDXID: spdxId(`SPDXRef-Package-${file}-${i}`),
          name,
          versionInfo: version,
          filesAnalyzed: false,
          licenseConcluded: 'NOASSERTION',
          licenseDeclared: input.license ?? 'NOASSERTION',
          copyrightText: 'NOASSERTION',
          downloadLocation: redactUrl(s.uri),
          checksums: [
            { algorithm: 'SHA256', checksumValue: s.sha256.slice('sha256:'.length) },
            { algorithm: 'SHA512', checksumValue: s.sha512.slice('sha512:'.length) },
          ],
          ...(s.signature ? { comment: `OpenPGP signature verified; key fingerprint ${s.signature.fingerprint}` } : {}),
          primaryPackagePurpose: 'SOURCE',
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: `pkg:generic/${encodeURIComponent(name)}@${encodeURIComponent(version)}?checksum=sha256:${s.sha256.slice(7)}&download_url=${encodeURIComponent(redactUrl(s.uri))}`,
            },
          ],
        },
      ];
    }
    case 'git-checkout': {
      const repo = redactUrl(s.repository);
      const name = repo.replace(/\.git$/, '').split('/').pop() || `source-${i}`;
      return [
        {
          SPDXID: spdxId(`SPDXRef-Package-${name}-${i}`),
          name,
          versionInfo: s.commit,
          filesAnalyzed: false,
          licenseConcluded: 'NOASSERTION',
          licenseDeclared: input.license ?? 'NOASSERTION',
          copyrightText: 'NOASSERTION',
          downloadLocation: `git+${repo}@${s.commit}`,
          primaryPackagePurpose: 'SOURCE',
        },
      ];
    }
    case 'patch':
      return s.patches.map((p, j) => ({
        SPDXID: spdxId(`SPDXRef-Patch-${p.name}-${i}-${j}`),
        name: p.name,
        versionInfo: p.sha256,
        filesAnalyzed: false,
        licenseConcluded: 'NOASSERTION',
        licenseDeclared: 'NOASSERTION',
        copyrightText: 'NOASSERTION',
        downloadLocation: 'NOASSERTION',
        checksums: [{ algorithm: 'SHA256', checksumValue: p.sha256.slice('sha256:'.length) }],
        primaryPackagePurpose: 'SOURCE',
      }));
  }
}

/** SPDX IDs allow letters, digits, "." and "-" only. */
function spdxId(raw: string): string {
  return raw.replace(/[^A-Za-z0-9.-]/g, '-');
}
