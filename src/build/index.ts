/**
 * The build side of kiln: sandbox, build environments, the source stage, and
 * `kiln package build` on top of them. Other folders import from here.
 */
export * from './sandbox/index.ts';
export * from './environment/index.ts';
export * from './source/index.ts';
export * from './scan/index.ts';
export * from './package/index.ts';
export * from './deb-import/index.ts';
