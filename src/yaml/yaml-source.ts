// Moves here from src/assemble once its author is done with it.
export * from '../assemble/yaml-source.ts';
