import { ImageConfigYamlSchema } from './image-config-schema.ts';
import type { ImageConfigDocument } from './image-spec.ts';
import { parseYamlWithSchema } from '../yaml/index.ts';

/**
 * Parses one apko-style image configuration (YAML text from `file`, which only names
 * it in messages). Its `include:` is returned unresolved; {@link loadImageConfig}
 * follows it. Every problem is a CONFIG_INVALID error that names `file:line:col` and
 * the field, e.g. `nginx.yaml:14:5: accounts.users[0].uid: expected a whole number…`.
 */
export function parseImageConfigYaml(text: string, file: string): ImageConfigDocument {
  const { value } = parseYamlWithSchema(text, file, ImageConfigYamlSchema, 'CONFIG_INVALID');
  return { file, spec: value.spec, ...(value.include !== undefined && { include: value.include }) };
}
