import type { Command } from 'commander';
import { copyByReference, formatImageRef, parseImageRef, type CopyEvent } from '../oci/index.ts';
import { action, intOption } from './run-action.ts';

type CopyFlags = {
  readonly json?: boolean;
  readonly referrers?: boolean;
  readonly insecure?: boolean;
  readonly tlsVerify?: boolean;
  readonly authfile?: string;
  readonly chunkSize?: string;
  readonly concurrency?: string;
  readonly quiet?: boolean;
};

export function registerCopy(program: Command): void {
  program
    .command('copy')
    .description('copy an image or index, with its referrers, between registries and OCI layouts')
    .argument('<src>', 'oci:DIR[:TAG|@DIGEST] or HOST[:PORT]/REPO[:TAG|@DIGEST]')
    .argument('<dst>', 'oci:DIR[:TAG|@DIGEST] or HOST[:PORT]/REPO[:TAG|@DIGEST]')
    .option('--json', 'print a JSON summary (with the digest) instead of text')
    .option('--no-referrers', 'copy the image only, not its signatures, SBOMs and attestations')
    .option('--insecure', 'plain HTTP for non-loopback registries (loopback always uses HTTP)')
    .option('--no-tls-verify', 'HTTPS without certificate verification')
    .option('--authfile <path>', 'registry credentials (docker config.json / containers auth.json format)')
    .option('--chunk-size <bytes>', 'upload blobs in PATCH chunks of this size instead of one PUT')
    .option('--concurrency <n>', 'blobs copied at the same time', '4')
    .option('-q, --quiet', 'no progress lines')
    .addHelpText(
      'after',
      `
Manifests are copied byte for byte, so digests are the same at the target. Blobs the
target has are skipped; within one registry they are mounted. The tag (DST's, else SRC's)
is applied last. Credentials come from --authfile, else $REGISTRY_AUTH_FILE,
$DOCKER_CONFIG/config.json or ~/.docker/config.json.

Examples:
  kiln copy oci:./out:v1 127.0.0.1:5000/app:v1
  kiln copy registry.example.com/app@sha256:… oci:./mirror:app`,
    )
    .action(
      action(async (srcText: string, dstText: string, flags: CopyFlags) => {
        const src = parseImageRef(srcText);
        const dst = parseImageRef(dstText);
        const chunkSize = flags.chunkSize !== undefined ? intOption('--chunk-size', flags.chunkSize, 1) : undefined;
        const concurrency = intOption('--concurrency', flags.concurrency ?? '4', 1, 64);
        const progress = flags.quiet ? undefined : (e: CopyEvent) => process.stderr.write(progressLine(e));
        const result = await copyByReference(src, dst, {
          referrers: flags.referrers !== false,
          concurrency,
          ...(progress !== undefined && { onProgress: progress }),
          client: {
            ...(flags.insecure && { insecure: true }),
            ...(flags.tlsVerify === false && { tlsVerify: false }),
            ...(chunkSize !== undefined && { chunkSize }),
          },
          ...(flags.authfile !== undefined && { auth: { path: flags.authfile } }),
        });
        if (flags.json) {
          const summary = { source: formatImageRef(src), destination: formatImageRef(dst), ...result };
          process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        } else {
          const where = `${formatImageRef({ ...dst, tag: undefined, digest: undefined } as typeof dst)}${result.tag !== undefined ? `:${result.tag}` : ''}`;
          process.stdout.write(
            `copied ${formatImageRef(src)} → ${where} ${result.digest}` +
              ` (${result.manifests.copied} manifests, ${result.blobs.uploaded} blobs uploaded, ${result.blobs.mounted} mounted, ` +
              `${result.blobs.existing} already there, ${result.referrers} referrers, ${formatBytes(result.bytes)})\n`,
          );
        }
      }),
    );
}

function progressLine(e: CopyEvent): string {
  const what = e.kind === 'manifest' ? `manifest${e.role !== undefined && e.role !== 'root' ? ` (${e.role})` : ''}` : 'blob';
  return `${e.status.padEnd(8)} ${what} ${e.digest} ${formatBytes(e.size)} ${e.mediaType}\n`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
