// Bytes in linear memory: a constant name (ByteString) and a growable scratch buffer
// (ByteBuffer). The filter's request path works on the bytes the host returned and on these,
// never decoding to AssemblyScript strings (UTF-16 objects the collector must reclaim).
//
// Both are @unmanaged: allocated once and never freed, outside the garbage collector's object
// graph, so they add nothing to the end-of-request collection (which marks every live managed
// object). Long-lived scratch in the filter follows the same rule.

/** Constant UTF-8 bytes (a header name, a shared-data key prefix), encoded once, never freed. */
@unmanaged export class ByteString {
  readonly ptr: usize;
  readonly len: i32;

  constructor(text: string) {
    const len = String.UTF8.byteLength(text, false);
    this.ptr = heap.alloc(len > 0 ? <usize>len : 1);
    this.len = <i32>String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, this.ptr, false);
  }

  /** True when the `len` bytes at `ptr` are these bytes. */
  @inline equals(ptr: usize, len: i32): bool {
    return len == this.len && memory.compare(ptr, this.ptr, <usize>len) == 0;
  }

  toString(): string {
    return String.UTF8.decodeUnsafe(this.ptr, <usize>this.len);
  }
}

/** True when the `len` bytes at a and b are equal. */
@inline export function bytesEqual(a: usize, b: usize, len: i32): bool {
  return memory.compare(a, b, <usize>len) == 0;
}

/**
 * Unmanaged scratch memory, reused request after request: reset() then take(n) hands out
 * consecutive blocks. Blocks stay valid until the next reset(); the buffer never moves while
 * blocks are handed out, so take() returns 0 when full. reserve() grows it between uses.
 */
@unmanaged export class ByteBuffer {
  base: usize;
  capacity: usize;
  used: usize = 0;

  constructor(capacity: usize) {
    this.capacity = capacity;
    this.base = heap.alloc(capacity);
  }

  reset(): void {
    this.used = 0;
  }

  /** Makes room for `capacity` bytes (moves the buffer: only while no block is handed out). */
  reserve(capacity: usize): void {
    if (capacity <= this.capacity) return;
    this.base = heap.realloc(this.base, capacity);
    this.capacity = capacity;
    this.used = 0;
  }

  /** A block of n bytes, or 0 when the buffer is full. */
  take(n: usize): usize {
    if (this.used + n > this.capacity) return 0;
    const p = this.base + this.used;
    this.used += n;
    return p;
  }

  /** Bytes still free. */
  @inline get free(): usize {
    return this.capacity - this.used;
  }
}

/**
 * Fixed-size unmanaged blocks, reused through a free list: for per-request bytes that must
 * outlive a callback (a stream context keeps one and gives it back in onDelete), without a
 * managed allocation the collector would have to sweep. Longer data gets a block of its own.
 */
@unmanaged export class BlockPool {
  private freeList: usize = 0;
  readonly blockSize: usize;

  constructor(blockSize: usize) {
    this.blockSize = blockSize < 8 ? 8 : blockSize;
  }

  /** A block of at least n bytes. */
  take(n: usize): usize {
    if (n > this.blockSize) return heap.alloc(n);
    const p = this.freeList;
    if (p == 0) return heap.alloc(this.blockSize);
    this.freeList = load<usize>(p);
    return p;
  }

  /** Gives back a block taken for n bytes. */
  give(p: usize, n: usize): void {
    if (p == 0) return;
    if (n > this.blockSize) {
      heap.free(p);
      return;
    }
    store<usize>(p, this.freeList);
    this.freeList = p;
  }
}
