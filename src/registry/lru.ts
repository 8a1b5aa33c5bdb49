/**
 * A small least-recently-used cache bounded by entry count and total bytes. The
 * registry keeps manifest bytes in one: content-addressed data never changes, so an
 * entry is never stale, only possibly deleted (and callers evict what they delete).
 */
export class Lru<K, V> {
  readonly #map = new Map<K, { readonly value: V; readonly bytes: number }>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxEntries: number, maxBytes = Number.POSITIVE_INFINITY) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  get(key: K): V | undefined {
    const hit = this.#map.get(key);
    if (hit === undefined) return undefined;
    // a Map iterates in insertion order: re-inserting marks the entry most recent
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: K, value: V, bytes = 0): void {
    if (bytes > this.#maxBytes) return;
    this.delete(key);
    this.#map.set(key, { value, bytes });
    this.#bytes += bytes;
    while (this.#map.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): void {
    const hit = this.#map.get(key);
    if (hit === undefined) return;
    this.#map.delete(key);
    this.#bytes -= hit.bytes;
  }

  get size(): number {
    return this.#map.size;
  }
}
