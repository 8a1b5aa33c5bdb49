import {
  INSTALLED_DB_PATH,
  apkPackagesOfCycloneDx,
  apkPackagesOfSpdx,
  buildCycloneDxBom,
  buildSpdxDocument,
  checkSbomCompleteness,
  parseInstalledDb,
  type CompletenessViolation,
  type ImageFacts,
  type InstalledPackage,
} from '../../attest/index.ts';
import { KilnError } from '../../errors/index.ts';
import type { FsEntry } from '../fs-entry.ts';
import { homeDirOf, type ImageSpec } from '../image-spec.ts';
import { RootfsTree } from '../rootfs/rootfs-tree.ts';

/** One architecture's root filesystem as it goes into the layer, and the facts its SBOMs come from. */
export type SbomGateInput = {
  readonly spec: ImageSpec;
  readonly arch: string;
  readonly entries: readonly FsEntry[];
  readonly facts: ImageFacts;
};

/**
 * The completeness check of a build, before anything is published: both SBOMs (built
 * from `facts`, exactly as they will be attached) list every package of the image's own
 * `lib/apk/db/installed` at its installed version and nothing else, and every path in
 * the root filesystem belongs to a package or to what the configuration writes (`paths:`,
 * the accounts' home directories, and the generated system files, which
 * {@link checkSbomCompleteness} knows). Package paths are matched where they landed: a
 * package's `lib/x` is `usr/lib/x` when another package made `lib` a link to `usr/lib`.
 */
export function sbomViolations(input: SbomGateInput): CompletenessViolation[] {
  const tree = new RootfsTree();
  for (const e of input.entries) tree.set(e);
  const db = tree.get(INSTALLED_DB_PATH);
  if (db?.kind !== 'file' || db.content.kind !== 'bytes') {
    return [{ kind: 'file-unowned', path: INSTALLED_DB_PATH, reason: `${INSTALLED_DB_PATH} is missing: the image cannot say what it installed` }];
  }
  const recorded = parseInstalledDb(Buffer.from(db.content.data).toString('utf8'), `/${INSTALLED_DB_PATH}`);
  const installed: InstalledPackage[] = recorded.map((p) => ({ ...p, paths: [...new Set(p.paths.flatMap((path) => landed(tree, path)))] }));
  const configPaths = [
    ...input.spec.paths.flatMap((m) => landed(tree, m.path)),
    ...input.spec.accounts.users.flatMap((u) => landed(tree, homeDirOf(u))),
  ];
  const files = input.entries.map((e) => e.path);
  const sboms = [
    { label: 'SPDX', packages: apkPackagesOfSpdx(buildSpdxDocument(input.facts).document, 'the SPDX SBOM') },
    { label: 'CycloneDX', packages: apkPackagesOfCycloneDx(buildCycloneDxBom(input.facts).document, 'the CycloneDX SBOM') },
  ];
  const out = new Map<string, CompletenessViolation>();
  for (const s of sboms) {
    for (const v of checkSbomCompleteness({ sbomPackages: s.packages, installed, files, configPaths })) {
      const reason = v.kind === 'file-unowned' ? v.reason : `${s.label}: ${v.reason}`;
      out.set(reason, { ...v, reason });
    }
  }
  return [...out.values()].sort((a, b) => (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/** {@link sbomViolations}, as a VERIFY_FAILED error listing every violation (the build publishes nothing). */
export function assertSbomComplete(input: SbomGateInput): void {
  const violations = sbomViolations(input);
  if (violations.length === 0) return;
  const shown = violations.slice(0, 20).map((v) => `  ${v.reason}`);
  const more = violations.length > shown.length ? [`  … and ${violations.length - shown.length} more`] : [];
  throw new KilnError(
    'VERIFY_FAILED',
    `${input.arch}: the SBOM would not describe the image (${violations.length} violation${violations.length === 1 ? '' : 's'}); nothing was published:\n${[...shown, ...more].join('\n')}`,
  );
}

/** The path as written and where it lands through the tree's symlinks (they differ under a merged-usr link). */
function landed(tree: RootfsTree, path: string): string[] {
  const out = [path.replace(/^\/+/, '')];
  for (const followLast of [false, true]) {
    try {
      out.push(tree.resolve(path, 'sbom check', { followLast }));
    } catch {
      // a path that no longer resolves (a dangling or looping link) is matched as written
    }
  }
  return out;
}
