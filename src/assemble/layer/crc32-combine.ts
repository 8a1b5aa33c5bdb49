/**
 * CRC-32 (gzip's) of two byte strings joined, from the CRC-32 of each and the length of
 * the second, as zlib's crc32_combine computes it (Node does not expose it): the layer
 * threads hash the blocks they compress or verify, and the main thread only combines,
 * instead of running over every byte of the layer a second time.
 *
 * The CRC is a remainder of polynomials over GF(2): appending n bytes multiplies the
 * first CRC by x^(8n) mod P, then the second CRC is added (xor). x^(2^k) mod P for each
 * k is tabulated, so x^(8n) takes one multiplication per set bit of 8n.
 */

/** The CRC-32 polynomial, bit-reversed (gzip's bit order). */
const POLY = 0xedb88320;

/** a·b mod P, both bit-reversed. */
function multiplyModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let bb = b >>> 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= bb;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    bb = bb & 1 ? (bb >>> 1) ^ POLY : bb >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N: readonly number[] = (() => {
  const table: number[] = [];
  let p = 0x40000000; // x^1
  for (let k = 0; k < 64; k++) {
    table.push(p);
    p = multiplyModP(p, p);
  }
  return table;
})();

/** x^(n·2^k) mod P. */
function xPowModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  let rest = n;
  let bit = k;
  while (rest > 0) {
    if (rest % 2 === 1) p = multiplyModP(X2N[bit % 64] as number, p);
    rest = Math.floor(rest / 2);
    bit++;
  }
  return p;
}

/** The CRC-32 of A followed by B, given crc32(A), crc32(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModP(xPowModP(lengthB, 3), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}
