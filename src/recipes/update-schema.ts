import { z } from 'zod';
import type { UpdateConfig } from './recipe-types.ts';
import { anyYaml, bool, describeFound, list, object, text, uint } from './schema-primitives.ts';

/** melange's `update:` block (config.Update and its monitors). */

const releaseMonitor = object({
  identifier: uint,
  'strip-prefix': text.optional(),
  'strip-suffix': text.optional(),
  'version-filter-contains': text.optional(),
  'version-filter-prefix': text.optional(),
}).transform((m) => ({
  identifier: m.identifier,
  ...(m['strip-prefix'] !== undefined && { stripPrefix: m['strip-prefix'] }),
  ...(m['strip-suffix'] !== undefined && { stripSuffix: m['strip-suffix'] }),
  ...(m['version-filter-contains'] !== undefined && { versionFilterContains: m['version-filter-contains'] }),
  ...(m['version-filter-prefix'] !== undefined && { versionFilterPrefix: m['version-filter-prefix'] }),
}));

const tagFilters = {
  'strip-prefix': text.optional(),
  'strip-suffix': text.optional(),
  'tag-filter-prefix': text.optional(),
  'tag-filter-contains': text.optional(),
};

type TagFilterFields = { 'strip-prefix'?: string; 'strip-suffix'?: string; 'tag-filter-prefix'?: string; 'tag-filter-contains'?: string };

function camelFilters(m: TagFilterFields) {
  return {
    ...(m['strip-prefix'] !== undefined && { stripPrefix: m['strip-prefix'] }),
    ...(m['strip-suffix'] !== undefined && { stripSuffix: m['strip-suffix'] }),
    ...(m['tag-filter-prefix'] !== undefined && { tagFilterPrefix: m['tag-filter-prefix'] }),
    ...(m['tag-filter-contains'] !== undefined && { tagFilterContains: m['tag-filter-contains'] }),
  };
}

const github = object({
  identifier: text,
  'tag-filter': text.optional(),
  'use-tag': bool.optional(),
  ...tagFilters,
}).transform((m) => ({
  identifier: m.identifier,
  ...camelFilters(m),
  ...(m['tag-filter'] !== undefined && { tagFilter: m['tag-filter'] }),
  useTag: m['use-tag'] ?? false,
}));

const git = object(tagFilters).transform(camelFilters);

const oci = object({ identifier: text, ...tagFilters }).transform((m) => ({ identifier: m.identifier, ...camelFilters(m) }));

const PERIODS = ['daily', 'weekly', 'monthly'] as const;

export const updateSchema = object({
  enabled: bool.optional(),
  manual: bool.optional(),
  'require-sequential': bool.optional(),
  shared: bool.optional(),
  'enable-prerelease-tags': bool.optional(),
  'version-separator': text.optional(),
  'ignore-regex-patterns': list(text).optional(),
  'version-transform': list(object({ match: text, replace: text })).optional(),
  'exclude-reason': text.optional(),
  schedule: object({
    period: z.enum(PERIODS, { error: (iss) => `expected one of ${PERIODS.join(', ')}, found ${describeFound(iss.input)}` }).optional(),
    reason: text.optional(),
  }).optional(),
  'release-monitor': releaseMonitor.optional(),
  github: github.optional(),
  git: git.optional(),
  oci: oci.optional(),
  version_data: anyYaml.optional(),
}).transform(
  (u): UpdateConfig => ({
    enabled: u.enabled ?? false,
    manual: u.manual ?? false,
    requireSequential: u['require-sequential'] ?? false,
    shared: u.shared ?? false,
    enablePrereleaseTags: u['enable-prerelease-tags'] ?? false,
    ...(u['version-separator'] !== undefined && { versionSeparator: u['version-separator'] }),
    ignoreRegexPatterns: u['ignore-regex-patterns'] ?? [],
    versionTransform: u['version-transform'] ?? [],
    ...(u['exclude-reason'] !== undefined && { excludeReason: u['exclude-reason'] }),
    ...(u.schedule !== undefined && {
      schedule: { ...(u.schedule.period !== undefined && { period: u.schedule.period }), ...(u.schedule.reason !== undefined && { reason: u.schedule.reason }) },
    }),
    ...(u['release-monitor'] !== undefined && { releaseMonitor: u['release-monitor'] }),
    ...(u.github !== undefined && { github: u.github }),
    ...(u.git !== undefined && { git: u.git }),
    ...(u.oci !== undefined && { oci: u.oci }),
    ...(u.version_data !== undefined && { versionData: u.version_data }),
  }),
);
