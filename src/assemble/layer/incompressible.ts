/**
 * Whether `data[start, end)` looks like random or already-compressed bytes (gzip, zstd,
 * JPEG, PNG, encrypted data), which deflate cannot shrink: a byte histogram of a sample
 * that is close to uniform. Text, machine code and tables are far from uniform and
 * compress; so does anything with long runs. The test is a chi-square statistic over
 * SAMPLES bytes taken in RUN-byte pieces spread evenly over the range: for uniform
 * bytes it averages 255 (standard deviation ~23), and a range counts as incompressible
 * below LIMIT. Integer arithmetic on the bytes alone: the same answer on every machine.
 *
 * What it misses costs only ratio, never correctness: data that is uniform byte by byte
 * but repeats within deflate's 32 KiB window (a random block copied twice) is stored
 * instead of matched.
 */

const RUN = 256;
const RUNS = 16;
const SAMPLES = RUN * RUNS;
const EXPECTED = SAMPLES / 256;
/** chi-square ≤ 384 (5.7 standard deviations above uniform's mean) → incompressible. */
const LIMIT = 384;
/** chi² = Σc²/E − N, so chi² ≤ LIMIT ⇔ Σc² ≤ (LIMIT + N)·E. */
const MAX_SUM_OF_SQUARES = (LIMIT + SAMPLES) * EXPECTED;

const counts = new Uint32Array(256);

export function looksIncompressible(data: Uint8Array, start: number, end: number): boolean {
  const length = end - start;
  // Too short to judge (and to matter): let deflate have it.
  if (length < 4 * SAMPLES) return false;
  counts.fill(0);
  const step = Math.floor((length - RUN) / (RUNS - 1));
  for (let r = 0; r < RUNS; r++) {
    const from = start + r * step;
    for (let i = from; i < from + RUN; i++) {
      const b = data[i] as number;
      counts[b] = (counts[b] as number) + 1;
    }
  }
  let sumOfSquares = 0;
  for (let b = 0; b < 256; b++) {
    const c = counts[b] as number;
    sumOfSquares += c * c;
  }
  return sumOfSquares <= MAX_SUM_OF_SQUARES;
}
