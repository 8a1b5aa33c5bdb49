/**
 * `kiln factory run`: one cycle end to end. The core (planCycle, planTags) decides; this
 * folder does the I/O: reads the repositories once per cycle and resolves against them
 * (image-repositories, image-resolver), reads the history (store-history), builds and
 * publishes each planned build (execute-build, publish-image), and records every result
 * (run-cycle); run-factory wires it to kiln.yaml, the database and the registry.
 */
export { runFactory, KILN_FACTORY_BUILDER_ID, FACTORY_SOURCE_DATE_EPOCH, type RunFactoryOptions, type FactoryRun } from './run-factory.ts';
export { runCycle, type RunCycleInput, type CycleRunResult } from './run-cycle.ts';
export { readImageRepositories, type AddedRepository, type ImageRepositories, type IndexCache } from './image-repositories.ts';
export { repositoryResolver, worldOfTarget, lockfileOfResolution } from './image-resolver.ts';
export { storeHistory, toFactoryPublication } from './store-history.ts';
export { executeBuild, type ExecuteBuildInput, type ExecutedBuild } from './execute-build.ts';
export { publishImage, type PublishDestination, type PublishImageInput, type PublishedImage } from './publish-image.ts';
