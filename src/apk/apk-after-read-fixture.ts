import type { AfterRead } from './apk-after-read.ts';

/**
 * An after-read step for apk-reader-pool.test.ts: what a step sees of the package (its
 * file paths and how many content bytes), and a buffer of its own that moves back.
 */
export const afterRead: AfterRead = (apk, options) => {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, apk.files.reduce((n, f) => n + (f.kind === 'file' ? f.content.length : 0), 0));
  return { result: { paths: apk.files.map((f) => f.path), options, bytes }, transfer: [bytes.buffer] };
};
