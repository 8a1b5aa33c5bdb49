export { parseYamlSource, MAX_YAML_BYTES, type YamlSource, type YamlValue, type SourcePosition } from './yaml-source.ts';
export { parseYamlWithSchema, yamlSchemaError } from './parse-yaml-with-schema.ts';
export { describeFound, text, list, map, object, parseYamlUint, uint, uintMax, bool } from './schema-primitives.ts';
