/**
 * The factory's package stage: before each cycle, the APK repository the catalog's images
 * resolve against is brought up to `packages:` in kiln.yaml: recipes built from source
 * (their archives seeded from the Debian archive with `sources.debian-archive`), Debian
 * runtime packages imported. See run-package-stage.ts.
 */
export { runPackageStage, type PackageStageOptions } from './run-package-stage.ts';
export type { PackageStageResult, PackageRepository, PackageStageRun } from './package-stage-result.ts';
export { listRecipeFiles, recipeTarget, type RecipeTarget } from './recipe-targets.ts';
export { resolvePackageRepository } from './resolve-package-repository.ts';
