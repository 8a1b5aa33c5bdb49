import { extract as tarExtract, type Header } from 'tar-stream';
import { KilnError, isKilnError } from '../../errors/index.ts';
import { type ArchiveFormat, openTarStream } from './decompress.ts';

/**
 * Calls `visit` for each entry of a (compressed) tar archive, in order. `visit` may
 * read the body; whatever it leaves is drained. A malformed archive or a failing
 * decompressor becomes ARCHIVE_INVALID; `visit`'s own KilnErrors pass through and stop
 * the read.
 */
export async function forEachTarEntry(
  archive: string,
  format: ArchiveFormat,
  visit: (header: Header, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<void> {
  const input = openTarStream(archive, format);
  // unknown format = pre-POSIX v7 headers, still checksummed (GNU hello 2.10 ships one)
  const extract = tarExtract({ allowUnknownFormat: true } as Parameters<typeof tarExtract>[0]);
  input.on('error', (e) => extract.destroy(e));
  input.pipe(extract);
  try {
    for await (const entry of extract) {
      await visit(entry.header, entry as AsyncIterable<Buffer>);
      for await (const _ of entry);
    }
  } catch (e) {
    input.destroy();
    extract.destroy();
    if (isKilnError(e)) throw e;
    throw new KilnError('ARCHIVE_INVALID', `${archive}: not a readable ${format} archive: ${(e as Error).message}`, { cause: e });
  }
}
