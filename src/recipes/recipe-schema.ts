import { EMPTY_ENVIRONMENT, environmentSchema } from './environment-schema.ts';
import { pipelineSchema } from './pipeline-step-schema.ts';
import type { Dependencies, PackageOptions, Recipe, RecipePackage, RecipeTest, Scriptlets, Subpackage } from './recipe-types.ts';
import { bool, describeFound, goDuration, list, map, object, text, uint } from './schema-primitives.ts';
import { updateSchema } from './update-schema.ts';

/**
 * The melange recipe schema (chainguard-dev/melange pkg/config Configuration), every
 * key melange knows and no other. Converts to the {@link Recipe} shape; the checks
 * that need the whole recipe (variables, ranges, names) run after it, in
 * check-recipe.ts.
 */

/** melange's packageNameRegex. */
const PACKAGE_NAME = /^[a-zA-Z\d][a-zA-Z\d+_.-]*$/;

const copyright = object({
  paths: list(text).optional(),
  attestation: text.optional(),
  license: text,
  'license-path': text.optional(),
  'detection-override': text.optional(),
}).transform((c) => ({
  paths: c.paths ?? [],
  ...(c.attestation !== undefined && { attestation: c.attestation }),
  license: c.license,
  ...(c['license-path'] !== undefined && { licensePath: c['license-path'] }),
  ...(c['detection-override'] !== undefined && { detectionOverride: c['detection-override'] }),
}));

const dependencies = object({
  runtime: list(text).optional(),
  provides: list(text).optional(),
  replaces: list(text).optional(),
  // Integers, but often written as ${{range.value}} or ${{vars.x}}: checked after substitution.
  'provider-priority': text.optional(),
  'replaces-priority': text.optional(),
}).transform(
  (d): Dependencies => ({
    runtime: d.runtime ?? [],
    provides: d.provides ?? [],
    replaces: d.replaces ?? [],
    ...(d['provider-priority'] !== undefined && { providerPriority: d['provider-priority'].trim() }),
    ...(d['replaces-priority'] !== undefined && { replacesPriority: d['replaces-priority'].trim() }),
  }),
);

const NO_DEPENDENCIES: Dependencies = { runtime: [], provides: [], replaces: [] };

const options = object({
  'no-provides': bool.optional(),
  'no-depends': bool.optional(),
  'no-commands': bool.optional(),
  'no-versioned-shlib-deps': bool.optional(),
}).transform((o): PackageOptions => packageOptions(o));

function packageOptions(o: Partial<Record<'no-provides' | 'no-depends' | 'no-commands' | 'no-versioned-shlib-deps', boolean>>): PackageOptions {
  return {
    noProvides: o['no-provides'] ?? false,
    noDepends: o['no-depends'] ?? false,
    noCommands: o['no-commands'] ?? false,
    noVersionedShlibDeps: o['no-versioned-shlib-deps'] ?? false,
  };
}

const scriptlets = object({
  trigger: object({ script: text.optional(), paths: list(text).optional() }).optional(),
  'pre-install': text.optional(),
  'post-install': text.optional(),
  'pre-deinstall': text.optional(),
  'post-deinstall': text.optional(),
  'pre-upgrade': text.optional(),
  'post-upgrade': text.optional(),
}).transform(
  (s): Scriptlets => ({
    ...(s.trigger !== undefined && { trigger: { ...(s.trigger.script !== undefined && { script: s.trigger.script }), paths: s.trigger.paths ?? [] } }),
    ...(s['pre-install'] !== undefined && { preInstall: s['pre-install'] }),
    ...(s['post-install'] !== undefined && { postInstall: s['post-install'] }),
    ...(s['pre-deinstall'] !== undefined && { preDeinstall: s['pre-deinstall'] }),
    ...(s['post-deinstall'] !== undefined && { postDeinstall: s['post-deinstall'] }),
    ...(s['pre-upgrade'] !== undefined && { preUpgrade: s['pre-upgrade'] }),
    ...(s['post-upgrade'] !== undefined && { postUpgrade: s['post-upgrade'] }),
  }),
);

const checks = object({ disabled: list(text).optional() }).transform((c) => ({ disabled: c.disabled ?? [] }));

const setcap = list(
  object({ path: text.optional(), add: map(text).optional(), reason: text.optional() }).transform((c) => ({
    ...(c.path !== undefined && { path: c.path }),
    add: { ...c.add },
    ...(c.reason !== undefined && { reason: c.reason }),
  })),
);

const resources = object({ cpu: text.optional(), cpumodel: text.optional(), memory: text.optional(), disk: text.optional() });

const cpe = object({
  part: text.optional(),
  vendor: text.optional(),
  product: text.optional(),
  edition: text.optional(),
  language: text.optional(),
  sw_edition: text.optional(),
  target_sw: text.optional(),
  target_hw: text.optional(),
  other: text.optional(),
});

const test = object({ environment: environmentSchema.optional(), pipeline: pipelineSchema.optional() }).transform(
  (t): RecipeTest => ({ environment: t.environment ?? EMPTY_ENVIRONMENT, pipeline: t.pipeline ?? [] }),
);

const packageName = text.refine((s) => PACKAGE_NAME.test(s) || s.includes('${{'), {
  error: (iss) => `expected a package name (letters, digits and + _ . -, starting with a letter or digit), found ${describeFound(iss.input)}`,
});

const pkg = object({
  name: packageName,
  version: text.refine((s) => s.trim() !== '', { error: 'expected a version, found empty text' }),
  epoch: uint.optional(),
  description: text.optional(),
  url: text.optional(),
  commit: text.optional(),
  'target-architecture': list(text).optional(),
  copyright: list(copyright).optional(),
  dependencies: dependencies.optional(),
  options: options.optional(),
  scriptlets: scriptlets.optional(),
  annotations: map(text).optional(),
  checks: checks.optional(),
  cpe: cpe.optional(),
  setcap: setcap.optional(),
  timeout: goDuration.optional(),
  resources: resources.optional(),
  'test-resources': resources.optional(),
}).transform(
  (p): RecipePackage => ({
    name: p.name,
    version: p.version,
    epoch: p.epoch ?? 0,
    ...(p.description !== undefined && { description: p.description }),
    ...(p.url !== undefined && { url: p.url }),
    ...(p.commit !== undefined && { commit: p.commit }),
    targetArchitecture: p['target-architecture'] ?? [],
    copyright: p.copyright ?? [],
    dependencies: p.dependencies ?? NO_DEPENDENCIES,
    options: p.options ?? packageOptions({}),
    ...(p.scriptlets !== undefined && { scriptlets: p.scriptlets }),
    annotations: { ...p.annotations },
    checks: p.checks ?? { disabled: [] },
    cpe: { ...p.cpe },
    setcap: p.setcap ?? [],
    ...(p.timeout !== undefined && { timeout: p.timeout }),
    ...(p.resources !== undefined && { resources: p.resources }),
    ...(p['test-resources'] !== undefined && { testResources: p['test-resources'] }),
  }),
);

const subpackage = object({
  name: packageName,
  description: text.optional(),
  url: text.optional(),
  commit: text.optional(),
  if: text.optional(),
  range: text.optional(),
  pipeline: pipelineSchema.optional(),
  dependencies: dependencies.optional(),
  options: options.optional(),
  scriptlets: scriptlets.optional(),
  annotations: map(text).optional(),
  checks: checks.optional(),
  setcap: setcap.optional(),
  test: test.optional(),
}).transform(
  (s): Subpackage => ({
    name: s.name,
    ...(s.description !== undefined && { description: s.description }),
    ...(s.url !== undefined && { url: s.url }),
    ...(s.commit !== undefined && { commit: s.commit }),
    ...(s.if !== undefined && { if: s.if }),
    // melange treats `range: ""` as no range.
    ...(s.range !== undefined && s.range !== '' && { range: s.range }),
    pipeline: s.pipeline ?? [],
    dependencies: s.dependencies ?? NO_DEPENDENCIES,
    options: s.options ?? packageOptions({}),
    ...(s.scriptlets !== undefined && { scriptlets: s.scriptlets }),
    annotations: { ...s.annotations },
    checks: s.checks ?? { disabled: [] },
    setcap: s.setcap ?? [],
    ...(s.test !== undefined && { test: s.test }),
  }),
);

const rangeData = object({ name: text, items: map(text) });

const varTransform = object({ from: text, match: text, replace: text, to: text });

const buildOption = object({
  vars: map(text).optional(),
  environment: object({
    contents: object({
      packages: object({ add: list(text).optional(), remove: list(text).optional() }).optional(),
    }).optional(),
  }).optional(),
}).transform((o) => ({
  vars: { ...o.vars },
  packages: { add: o.environment?.contents?.packages?.add ?? [], remove: o.environment?.contents?.packages?.remove ?? [] },
}));

export const recipeSchema = object({
  package: pkg,
  environment: environmentSchema.optional(),
  capabilities: object({ add: list(text).optional(), drop: list(text).optional() }).optional(),
  pipeline: pipelineSchema.optional(),
  subpackages: list(subpackage).optional(),
  data: list(rangeData).optional(),
  update: updateSchema.optional(),
  vars: map(text).optional(),
  'var-transforms': list(varTransform).optional(),
  options: map(buildOption).optional(),
  test: test.optional(),
}).transform(
  (r): Omit<Recipe, 'file'> => ({
    package: r.package,
    environment: r.environment ?? EMPTY_ENVIRONMENT,
    capabilities: { add: r.capabilities?.add ?? [], drop: r.capabilities?.drop ?? [] },
    pipeline: r.pipeline ?? [],
    subpackages: r.subpackages ?? [],
    data: r.data ?? [],
    vars: { ...r.vars },
    varTransforms: r['var-transforms'] ?? [],
    options: { ...r.options },
    ...(r.update !== undefined && { update: r.update }),
    ...(r.test !== undefined && { test: r.test }),
  }),
);
