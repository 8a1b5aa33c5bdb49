/**
 * `kiln package build`: a melange-style recipe built into signed APKs in a repository,
 * with source steps run outside the sandbox, automatic dependencies, a per-package
 * SPDX document, tests against the new packages, and a build provenance record.
 */
export {
  buildPackage,
  type PackageBuildOptions,
  type PackageBuildResult,
  type BuiltPackage,
  type BuildProgress,
  type BuildStage,
} from './build-package.ts';
export { planBuild, type BuildPlan, type PlanOptions, type MainStepPlan, type SourceStepPlan, type SandboxStepPlan } from './plan-build.ts';
export { collectDestdir } from './collect-destdir.ts';
export { debianPackagesFor } from './environment-packages.ts';
export { BUILTIN_PIPELINE_DIR, KILN_VERSION } from './kiln-install.ts';
export { packageSbom, packageSbomPath, SBOM_DIR, type PackageSbomInput } from './package-sbom.ts';
export { provenanceFileName, provenanceSources, type BuildProvenance, type ProvenanceSource } from './build-provenance.ts';
export { explicitSourceDateEpoch } from './source-date-epoch.ts';
export { ensureSigningKey, loadSigningKey, generateSigningKeyFiles, type LoadedSigningKey } from './signing-key.ts';
export { publishPackages, reindexRepository, keyringFor, type StagedPackage, type PublishResult } from './repo/apk-repository.ts';
