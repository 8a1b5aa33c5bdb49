import type { Command } from 'commander';
import type { SbomFormat, VerifyResult } from '../attest/index.ts';
import { KilnError } from '../errors/index.ts';
import { formatImageRef, parseImageRef } from '../oci/index.ts';
import { sourceDateEpochFrom } from '../assemble/index.ts';
import { EXIT_FAILED, action } from './run-action.ts';

type ClientFlags = { readonly insecure?: boolean; readonly tlsVerify?: boolean };

function clientOptions(flags: ClientFlags) {
  return { client: { ...(flags.insecure && { insecure: true }), ...(flags.tlsVerify === false && { tlsVerify: false }) } };
}

/** Loaded when a command runs: the SBOM and Sigstore libraries stay out of every other command's start-up. */
const attest = () => import('../attest/index.ts');

const REF_HELP = 'HOST[:PORT]/REPO[:TAG|@DIGEST] or oci:DIR[:TAG|@DIGEST]';

/** `kiln sign`, `kiln verify`, `kiln sbom`: signatures, attestations and SBOMs of an image. */
export function registerAttest(program: Command): void {
  program
    .command('sign')
    .description('sign an image: cosign signature tag (sha256-<hex>.sig) and a Sigstore bundle referrer')
    .argument('<ref>', REF_HELP)
    .requiredOption('--key <path>', 'ECDSA P-256 private key (PKCS#8 PEM, optionally encrypted)')
    .option('--passphrase-file <path>', 'file holding the private key passphrase')
    .option('--identity <name>', 'docker-reference the signature names (default: HOST/REPO, or the layout directory name)')
    .option('--json', 'print the result as JSON')
    .option('--insecure', 'plain HTTP for non-loopback registries')
    .option('--no-tls-verify', 'HTTPS without certificate verification')
    .action(
      action(async (refText: string, flags: ClientFlags & { key: string; passphraseFile?: string; identity?: string; json?: boolean }) => {
        const { loadSigningKey, openEvidenceStore, signImage } = await attest();
        const ref = parseImageRef(refText);
        const key = await loadSigningKey(flags.key, { ...(flags.passphraseFile !== undefined && { passphraseFile: flags.passphraseFile }) });
        const { store, reference } = await openEvidenceStore(ref, {
          ...clientOptions(flags),
          ...(flags.identity !== undefined && { layoutIdentity: flags.identity }),
        });
        const found = await store.tryManifest(reference);
        if (found === undefined) throw new KilnError('NOT_FOUND', `${formatImageRef(ref)}: no manifest ${reference} in ${store.description}`);
        const result = await signImage(store, { mediaType: found.mediaType, digest: found.digest, size: found.bytes.length }, key, {
          ...(flags.identity !== undefined && { dockerReference: flags.identity }),
          created: sourceDateEpochFrom(process.env, Math.floor(Date.now() / 1000)),
        });
        if (flags.json) process.stdout.write(`${JSON.stringify({ reference: formatImageRef(ref), keyId: key.keyId, ...result }, null, 2)}\n`);
        else {
          process.stdout.write(
            `signed ${formatImageRef(ref)} ${result.digest} with key ${key.keyId.slice(0, 12)}…: ` +
              `tag ${result.cosignTag} (${result.cosignManifest}), bundle referrer ${result.bundleReferrer}\n`,
          );
        }
      }),
    );

  program
    .command('verify')
    .description('verify an image: signatures in both forms, every attestation, the SBOM against the installed packages')
    .argument('<ref>', REF_HELP)
    .requiredOption('--key <path>', 'ECDSA P-256 public key (SPKI PEM)')
    .option('--json', 'print every check as JSON')
    .option('--insecure', 'plain HTTP for non-loopback registries')
    .option('--no-tls-verify', 'HTTPS without certificate verification')
    .addHelpText('after', '\nExit status: 0 when every check passes (or is skipped), 1 when one fails, 2 on bad input (a malformed key).')
    .action(
      action(async (refText: string, flags: ClientFlags & { key: string; json?: boolean }) => {
        const { loadVerificationKey, verifyImage } = await attest();
        const publicKey = await loadVerificationKey(flags.key);
        const result = await verifyImage(parseImageRef(refText), { publicKey, ...clientOptions(flags) });
        if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else process.stdout.write(formatVerifyResult(result));
        if (!result.ok) {
          for (const c of result.checks.filter((c) => c.status === 'fail')) process.stderr.write(`error[VERIFY_FAILED] ${c.name}: ${c.reason}\n`);
          process.exitCode = EXIT_FAILED;
        }
      }),
    );

  program
    .command('sbom')
    .description('print the SBOM attached to an image')
    .argument('<ref>', REF_HELP)
    .option('--format <format>', 'spdx or cyclonedx', 'spdx')
    .option('--insecure', 'plain HTTP for non-loopback registries')
    .option('--no-tls-verify', 'HTTPS without certificate verification')
    .addHelpText('after', '\nThis prints what is attached; run kiln verify to check that it is signed and complete.')
    .action(
      action(async (refText: string, flags: ClientFlags & { format: string }) => {
        if (flags.format !== 'spdx' && flags.format !== 'cyclonedx') {
          throw new KilnError('USAGE', `--format: expected spdx or cyclonedx, found ${JSON.stringify(flags.format)}`);
        }
        const { readAttachedSbom } = await attest();
        const bytes = await readAttachedSbom(parseImageRef(refText), flags.format as SbomFormat, clientOptions(flags));
        process.stdout.write(Buffer.concat([bytes, Buffer.from('\n')]));
      }),
    );
}

/** One line per check, then a summary line. */
export function formatVerifyResult(result: VerifyResult): string {
  const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;
  const width = Math.max(...result.checks.map((c) => c.name.length));
  const lines = result.checks.map((c) => `${mark[c.status]}  ${c.name.padEnd(width)}  ${c.reason}`);
  const failed = result.checks.filter((c) => c.status === 'fail').length;
  lines.push(failed === 0 ? `verified ${result.reference} ${result.digest}` : `FAILED ${result.reference} ${result.digest}: ${failed} check(s) failed`);
  return `${lines.join('\n')}\n`;
}
