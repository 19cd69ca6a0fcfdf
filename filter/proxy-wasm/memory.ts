// Memory shared with the host.
//
// Ownership rules (the same as Envoy's C++/Rust SDKs):
// - Whenever the host returns data (headers, properties, buffers, shared data) it allocates the
//   block through the module's exported `malloc` and writes its address/size into two slots the
//   module passed. The module copies or decodes what it needs and frees the block at once, so
//   nothing the host allocates outlives the host call that produced it.
// - Arguments the module passes to the host (names, values, serialised maps) live in reusable
//   argument buffers, so a host call with string arguments allocates nothing per call.

/** Allocator Envoy calls to place returned data in guest memory (unmanaged TLSF block). */
export function hostMalloc(size: usize): usize {
  return heap.alloc(size);
}

// Out-parameter slots for host calls: [0] pointer, [4] size, [8] u32 or u64 result.
// Static memory: a host call never re-enters the module except through malloc, which does not
// touch these slots.
export const OUT: usize = memory.data(16, 8);
@inline export function outPtr(): usize { return OUT; }
@inline export function outSize(): usize { return OUT + 4; }
@inline export function outExtra(): usize { return OUT + 8; }

@inline export function clearOut(): void {
  store<u64>(OUT, 0);
  store<u64>(OUT, 0, 8);
}

/** Copies the block the host returned in the OUT slots into a managed buffer and frees it. */
export function takeOutBytes(): ArrayBuffer {
  const ptr = load<usize>(OUT);
  const size = load<u32>(OUT, 4);
  const result = new ArrayBuffer(<i32>size);
  if (ptr != 0) {
    memory.copy(changetype<usize>(result), ptr, size);
    heap.free(ptr);
  }
  store<u64>(OUT, 0);
  return result;
}

/** Decodes the block the host returned (UTF-8) into a string and frees it. */
export function takeOutString(): string {
  const ptr = load<usize>(OUT);
  const size = load<u32>(OUT, 4);
  if (ptr == 0) return "";
  const result = String.UTF8.decodeUnsafe(ptr, size);
  heap.free(ptr);
  store<u64>(OUT, 0);
  return result;
}

/** Frees a block the host returned without reading it (used on error paths). */
export function discardOut(): void {
  const ptr = load<usize>(OUT);
  if (ptr != 0) heap.free(ptr);
  store<u64>(OUT, 0);
}

/** A growable, reused buffer for one UTF-8 argument of a host call (unmanaged: never collected). */
@unmanaged export class ArgBuffer {
  ptr: usize = 0;
  cap: usize = 0;
  len: usize = 0;

  /** Encodes `s` as UTF-8 (no terminator) and returns the address; the length is in `len`. */
  encode(s: string): usize {
    const need = <usize>String.UTF8.byteLength(s, false);
    this.reserve(need);
    this.len = String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.ptr, false);
    return this.ptr;
  }

  reserve(need: usize): void {
    if (need <= this.cap && this.ptr != 0) return;
    let cap = this.cap < 64 ? <usize>64 : this.cap;
    while (cap < need) cap <<= 1;
    this.ptr = this.ptr == 0 ? heap.alloc(cap) : heap.realloc(this.ptr, cap);
    this.cap = cap;
  }
}

export const ARG_A = new ArgBuffer();
export const ARG_B = new ArgBuffer();
export const ARG_C = new ArgBuffer();
