/**
 * The host's side of the module's linear memory: bounds-checked reads and writes, and Envoy's
 * copyTo (allocate through the module's malloc, copy, hand back pointer and size), with the
 * byte and time accounting the host reports per request.
 */
import type { WasmMemory } from './wasm-api.js';

export interface BoundaryStats {
  /** Host calls by import name (module.name for WASI). */
  hostCalls: Record<string, number>;
  /** Total host calls. */
  hostCallCount: number;
  /** Calls of the module's malloc made by the host to return data. */
  mallocCalls: number;
  /** Bytes the host wrote into module memory (returned data, excluding 4/8-byte out-params). */
  bytesToModule: number;
  /** Bytes the host read from module memory (names, values, maps, messages). */
  bytesFromModule: number;
  /** Wall time spent inside module callbacks, host calls they made included (ns). */
  callbackNanos: number;
  /**
   * Part of callbackNanos spent in this host's implementation of the host calls, its own
   * bookkeeping (counting, clock reads, the call boundary; calibrated, see call-overhead.ts)
   * included (ns); the module's own time is callbackNanos - hostNanos (the host is JS, Envoy's
   * is C++). The module's malloc, which the host calls to return data, counts as host time.
   */
  hostNanos: number;
}

export const emptyStats = (): BoundaryStats => ({ hostCalls: {}, hostCallCount: 0, mallocCalls: 0, bytesToModule: 0, bytesFromModule: 0, callbackNanos: 0, hostNanos: 0 });

export const Status = {
  OK: 0, NOT_FOUND: 1, BAD_ARGUMENT: 2, SERIALIZATION_FAILURE: 3, PARSE_FAILURE: 4,
  INVALID_MEMORY_ACCESS: 6, EMPTY: 7, CAS_MISMATCH: 8, INTERNAL_FAILURE: 10, UNIMPLEMENTED: 12,
} as const;

export class ModuleMemory {
  stats: BoundaryStats = emptyStats();
  private buffer: ArrayBuffer | null = null;
  private view!: DataView;
  private bytes!: Uint8Array;

  constructor(private readonly memory: WasmMemory, private readonly malloc: (size: number) => number) {}

  /** Views of the current buffer (memory.grow replaces it). */
  u8(): Uint8Array {
    this.refresh();
    return this.bytes;
  }

  dataView(): DataView {
    this.refresh();
    return this.view;
  }

  inBounds(ptr: number, size: number): boolean {
    this.refresh();
    return ptr >= 0 && size >= 0 && ptr + size <= this.bytes.length;
  }

  /** A copy of module memory (counted as bytes from the module); null when out of bounds. */
  read(ptr: number, size: number): Buffer | null {
    ptr >>>= 0; size >>>= 0;
    if (!this.inBounds(ptr, size)) return null;
    this.stats.bytesFromModule += size;
    return Buffer.from(this.bytes.subarray(ptr, ptr + size));
  }

  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return false;
    this.view.setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 8)) return false;
    this.view.setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  /**
   * Envoy's copyTo: malloc a block in the module, copy `data` in, store pointer and size in the
   * module's out slots. The module owns (and must free) the block. Empty data allocates nothing
   * (pointer 0, size 0), as Envoy's copyToPointerSize does. Returns a Status code.
   */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): number {
    if (data.length === 0) return this.writeU32(ptrPtr, 0) && this.writeU32(sizePtr, 0) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    this.stats.mallocCalls++;
    const ptr = (this.malloc(data.length) as number) >>> 0;
    if (ptr === 0 || !this.inBounds(ptr, data.length)) return Status.INVALID_MEMORY_ACCESS;
    this.bytes.set(data, ptr);
    this.stats.bytesToModule += data.length;
    if (!this.writeU32(ptrPtr, ptr) || !this.writeU32(sizePtr, data.length)) return Status.INVALID_MEMORY_ACCESS;
    return Status.OK;
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    if (buf !== this.buffer) {
      this.buffer = buf;
      this.view = new DataView(buf);
      this.bytes = new Uint8Array(buf);
    }
  }
}
