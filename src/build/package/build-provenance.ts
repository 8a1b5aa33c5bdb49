import type { EnvironmentBase, InstalledPackage, OverwrittenPath } from '../environment/index.ts';
import type { SandboxLimits } from '../sandbox/index.ts';
import { redactUrl, type SourceStepResult } from '../source/index.ts';

/**
 * What kiln records about how one package was built, kept beside the APK as
 * `<name>-<version>.provenance.json`. Everything but `startedAt`/`finishedAt` is the same
 * when the build is repeated; a later step turns it into SLSA provenance.
 */
export type BuildProvenance = {
  readonly _type: 'https://kiln.dev/package-build/v1';
  readonly package: {
    readonly name: string;
    readonly version: string;
    readonly arch: string;
    readonly origin: string;
    readonly file: string;
    readonly sha256: string;
    /** APKINDEX `C:`. */
    readonly checksum: string;
  };
  readonly recipe: { readonly file: string; readonly sha256: string; readonly pipelineDirs: readonly string[] };
  readonly sources: readonly ProvenanceSource[];
  readonly environment: {
    readonly hash: string;
    readonly provider: { readonly kind: string; readonly identity: Readonly<Record<string, string>> };
    readonly requested: readonly string[];
    /** A layered environment (kiln packages on Debian): the Debian environment below. */
    readonly base?: EnvironmentBase;
    /** Every package with its version and origin (`kiln` with its repository and checksum, or `debian`). */
    readonly packages: readonly InstalledPackage[];
    /** Files of the base that kiln packages replaced. */
    readonly overwritten?: readonly OverwrittenPath[];
  };
  readonly sandbox: {
    readonly tool: 'bubblewrap';
    readonly network: 'none';
    readonly rootfs: 'read-only';
    readonly uid: number;
    readonly sourceDateEpoch: number;
    readonly limits: SandboxLimits;
  };
  readonly builder: { readonly id: 'kiln'; readonly version: string; readonly host: string };
  readonly startedAt: string;
  readonly finishedAt: string;
};

export type ProvenanceSource =
  | { readonly kind: 'fetch'; readonly uri: string; readonly sha256: string; readonly sha512: string; readonly size: number; readonly signatureFingerprint?: string }
  | { readonly kind: 'git-checkout'; readonly repository: string; readonly commit: string }
  | { readonly kind: 'patch'; readonly patches: readonly { readonly name: string; readonly sha256: string }[] };

/** The source stage's results as provenance records (URLs redacted, nothing host-specific). */
export function provenanceSources(results: readonly SourceStepResult[]): ProvenanceSource[] {
  return results.map((r): ProvenanceSource => {
    switch (r.kind) {
      case 'fetch':
        return { kind: 'fetch', uri: redactUrl(r.uri), sha256: r.sha256, sha512: r.sha512, size: r.size, ...(r.signature && { signatureFingerprint: r.signature.fingerprint }) };
      case 'git-checkout':
        return { kind: 'git-checkout', repository: redactUrl(r.repository), commit: r.commit };
      case 'patch':
        return { kind: 'patch', patches: r.patches.map((p) => ({ name: p.name, sha256: p.sha256 })) };
    }
  });
}

/** `hello-2.12-r0.apk` → `hello-2.12-r0.provenance.json`. */
export function provenanceFileName(apkFile: string): string {
  return apkFile.replace(/\.apk$/, '.provenance.json');
}
