// HeaderMapView: one header map fetched with ONE host call (proxy_get_header_map_pairs) and read
// in place. The host's wire block is kept (not copied) until release(); an entry is four offsets
// into it, kept in a slot table the view reuses for every fetch. Nothing is decoded and nothing
// managed is allocated, so a request's headers cost no garbage collection (the view itself is
// @unmanaged: create it once and keep it).
//
// Wire format (FACTS.md §1, little-endian): u32 count; count × (u32 name length, u32 value
// length); then each name and each value followed by one NUL byte. A malformed block (counts or
// lengths that do not fit) reads as an empty map.
import * as imp from "./imports";
import { MapType, WasmResult } from "./enums";
import { OUT, clearOut, discardOut } from "./memory";
import { setLastResult } from "./hostcalls";
import { ByteString } from "./bytes";

@unmanaged export class HeaderMapView {
  private block: usize = 0;
  private blockSize: usize = 0;
  // 4 u32 per entry: name address, name length, value address, value length (unmanaged, grown as needed)
  private slots: usize = heap.alloc(64 * 16);
  private capacity: i32 = 64;
  count: i32 = 0;

  /** Fetches map `mapType` (one host call), releasing the previous one. */
  fetch(mapType: MapType): WasmResult {
    this.release();
    clearOut();
    const r = setLastResult(imp.proxy_get_header_map_pairs(<u32>mapType, OUT, OUT + 4));
    if (r != WasmResult.Ok) {
      discardOut();
      return r;
    }
    this.block = load<usize>(OUT);
    this.blockSize = <usize>load<u32>(OUT, 4);
    store<u64>(OUT, 0); // the view owns the block now
    this.index();
    return r;
  }

  /** Frees the host's block; the view is empty until the next fetch. */
  release(): void {
    if (this.block != 0) heap.free(this.block);
    this.block = 0;
    this.blockSize = 0;
    this.count = 0;
  }

  @inline nameAt(i: i32): usize { return <usize>load<u32>(this.slots + (<usize>i << 4)); }
  @inline nameLen(i: i32): i32 { return <i32>load<u32>(this.slots + (<usize>i << 4), 4); }
  @inline valueAt(i: i32): usize { return <usize>load<u32>(this.slots + (<usize>i << 4), 8); }
  @inline valueLen(i: i32): i32 { return <i32>load<u32>(this.slots + (<usize>i << 4), 12); }

  /**
   * Address of entry i's two lengths in the host's block (u32 name length, u32 value length):
   * consecutive entries are consecutive there, and so are their names and values (each
   * NUL-terminated) from nameAt(i) on — a run of entries can be copied as two blocks.
   */
  @inline lengthsAt(i: i32): usize { return this.block + 4 + (<usize>i << 3); }

  /** True when entry i is named `name` (Envoy gives names lower-cased: compared exactly). */
  @inline nameIs(i: i32, name: ByteString): bool {
    return name.equals(this.nameAt(i), this.nameLen(i));
  }

  /** Index of the first entry named `name`, or -1. */
  indexOf(name: ByteString): i32 {
    for (let i = 0; i < this.count; i++) if (this.nameIs(i, name)) return i;
    return -1;
  }

  /** The entry's value decoded as UTF-8 (for logs and tests; the request path reads bytes). */
  valueText(i: i32): string {
    return String.UTF8.decodeUnsafe(this.valueAt(i), <usize>this.valueLen(i));
  }

  private index(): void {
    const base = this.block;
    const size = this.blockSize;
    if (base == 0 || size < 4) return;
    const count = <usize>load<u32>(base);
    if (count > (size - 4) / 10) return; // each pair needs >= 8 length bytes + 2 NULs
    if (<i32>count > this.capacity) {
      this.slots = heap.realloc(this.slots, count << 4);
      this.capacity = <i32>count;
    }
    let slot = this.slots;
    let data: usize = 4 + count * 8;
    for (let i: usize = 0; i < count; i++) {
      const nameLen = <usize>load<u32>(base + 4 + i * 8);
      const valueLen = <usize>load<u32>(base + 8 + i * 8);
      if (data + nameLen + valueLen + 2 > size) return; // malformed: stays empty
      store<u32>(slot, <u32>(base + data));
      store<u32>(slot, <u32>nameLen, 4);
      data += nameLen + 1;
      store<u32>(slot, <u32>(base + data), 8);
      store<u32>(slot, <u32>valueLen, 12);
      data += valueLen + 1;
      slot += 16;
    }
    this.count = <i32>count;
  }
}
