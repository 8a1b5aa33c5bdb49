import type { ImageSpec } from './image-spec.ts';

/**
 * Merges an included configuration into the one that includes it, as apko's
 * MergeInto does: the including file (`target`) wins for every scalar it sets and for
 * keys of environment and annotations; lists are concatenated with the included
 * entries first; `archs` come from the included file only when the target has none.
 * apko leaves `repositories` out of its merge; kiln concatenates them like the other
 * repository lists, since an included base that names packages needs its repositories.
 */
export function mergeImageSpecs(included: ImageSpec, target: ImageSpec): ImageSpec {
  const pick = <T>(t: T | undefined, i: T | undefined): { value?: T } => (t !== undefined ? { value: t } : i !== undefined ? { value: i } : {});
  const opt = <K extends string, T>(key: K, t: T | undefined, i: T | undefined): Partial<Record<K, T>> => {
    const p = pick(t, i);
    return 'value' in p ? ({ [key]: p.value } as Partial<Record<K, T>>) : {};
  };
  const runAs = target.accounts.runAs ?? included.accounts.runAs;
  return {
    contents: {
      repositories: [...included.contents.repositories, ...target.contents.repositories],
      buildRepositories: [...included.contents.buildRepositories, ...target.contents.buildRepositories],
      runtimeRepositories: [...included.contents.runtimeRepositories, ...target.contents.runtimeRepositories],
      keyring: [...included.contents.keyring, ...target.contents.keyring],
      packages: [...included.contents.packages, ...target.contents.packages],
    },
    entrypoint: target.entrypoint.kind !== 'none' ? target.entrypoint : included.entrypoint,
    ...opt('cmd', target.cmd, included.cmd),
    ...opt('workDir', target.workDir, included.workDir),
    ...opt('stopSignal', target.stopSignal, included.stopSignal),
    environment: { ...included.environment, ...target.environment },
    accounts: {
      ...(runAs !== undefined && { runAs }),
      users: [...included.accounts.users, ...target.accounts.users],
      groups: [...included.accounts.groups, ...target.accounts.groups],
    },
    paths: [...included.paths, ...target.paths],
    annotations: { ...included.annotations, ...target.annotations },
    archs: target.archs.length > 0 ? target.archs : included.archs,
    volumes: [...included.volumes, ...target.volumes],
    ...opt('osRelease', target.osRelease, included.osRelease),
    ...opt('vcsUrl', target.vcsUrl, included.vcsUrl),
    ...opt('layering', target.layering, included.layering),
    certificates: [...included.certificates, ...target.certificates],
  };
}
