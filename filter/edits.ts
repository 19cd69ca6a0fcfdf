// The request-header changes of one request, written back with the fewest host calls.
//
// Two ways to write n changes into Envoy's header map:
//   - one call per change: proxy_replace_header_map_value (Envoy's setCopy: every entry of the
//     name removed, one added at the end), proxy_remove_header_map_value (every entry); copies
//     only the changed names and values;
//   - one proxy_set_header_map_pairs with the whole edited map: one call, but every header of
//     the request crosses the boundary and Envoy rebuilds its map.
// Both leave the same map: the edited map is written with the untouched entries in their order
// and the set headers at the end, exactly where setCopy puts them.
// We estimate both as bytes copied + HOST_CALL_COST_BYTES per call and take the cheaper.
// HOST_CALL_COST_BYTES: an empty host call costs ~85 ns in Envoy's V8, a small string copy
// ~230 ns (FACTS.md §1): a call is worth a few hundred bytes of copying. With 256 the request
// whose only changes are the two stamps (~60 bytes) writes them individually (2 calls) rather
// than sending its ~1 KB map; from about five changes one set_header_map_pairs is cheaper; a
// request with very large headers keeps writing individually. bench/filter-bench.ts shows both.
import { HeaderMapView, MapType, WasmResult, ByteString, ByteBuffer, replaceHeaderMapValueBytes, removeHeaderMapValueBytes, setHeaderMapPairsBytes } from "./proxy-wasm";

export const HOST_CALL_COST_BYTES: usize = 256;
const CAPACITY: i32 = 16;
const EDIT_SIZE: usize = 20;

const OP_SET: u8 = 1; // exactly one entry with this value (replaces repeats, appends when absent)
const OP_REMOVE: u8 = 2; // no entry

/** The edits of one request, reused request after request (@unmanaged: create once). */
@unmanaged export class HeaderEdits {
  // per edit, 20 bytes: op (+0), name address (+4), name length (+8), value address (+12), value length (+16)
  private readonly table: usize = heap.alloc(<usize>CAPACITY * EDIT_SIZE);
  /** The serialised map for set_header_map_pairs, grown when a request needs more. */
  private readonly wire: ByteBuffer = new ByteBuffer(4096);
  /** Per entry of the view being written: touched by an edit or not. */
  private readonly marks: ByteBuffer = new ByteBuffer(64);
  count: i32 = 0;
  /** Bit n set when an edit names a header of n bytes (n < 64): a quick "not touched" for most headers. */
  private lengths: u64 = 0;

  @inline private op(k: i32): u8 { return load<u8>(this.table + <usize>k * EDIT_SIZE); }
  @inline private nameAt(k: i32): usize { return <usize>load<u32>(this.table + <usize>k * EDIT_SIZE, 4); }
  @inline private nameLen(k: i32): i32 { return load<i32>(this.table + <usize>k * EDIT_SIZE, 8); }
  @inline private valueAt(k: i32): usize { return <usize>load<u32>(this.table + <usize>k * EDIT_SIZE, 12); }
  @inline private valueLen(k: i32): i32 { return load<i32>(this.table + <usize>k * EDIT_SIZE, 16); }

  reset(): void {
    this.count = 0;
    this.lengths = 0;
  }

  /** Header `name` becomes exactly one entry with the `valueLen` bytes at `valueAt`. */
  set(name: ByteString, valueAt: usize, valueLen: i32): void { this.push(OP_SET, name, valueAt, valueLen); }
  remove(name: ByteString): void { this.push(OP_REMOVE, name, 0, 0); }

  private push(op: u8, name: ByteString, valueAt: usize, valueLen: i32): void {
    // cannot overflow: at most 13 changes per request (2 stamps + healed + alias + 8 context + request id)
    if (this.count >= CAPACITY) return;
    const e = this.table + <usize>this.count * EDIT_SIZE;
    this.count++;
    if (name.len < 64) this.lengths |= <u64>1 << <u64>name.len;
    store<u8>(e, op);
    store<u32>(e, <u32>name.ptr, 4);
    store<i32>(e, name.len, 8);
    store<u32>(e, <u32>valueAt, 12);
    store<i32>(e, valueLen, 16);
  }

  /** True when entry i of the view is named by one of the edits (it is replaced or removed). */
  private touches(view: HeaderMapView, i: i32): bool {
    const len = view.nameLen(i);
    if (len < 64 && (this.lengths & (<u64>1 << <u64>len)) == 0) return false;
    for (let k = 0; k < this.count; k++) {
      if (this.nameLen(k) == len && memory.compare(view.nameAt(i), this.nameAt(k), <usize>len) == 0) return true;
    }
    return false;
  }

  /**
   * Writes the changes into the request headers. `view` is the map as fetched at the start of
   * the request (its block must still be held). Returns the number of host calls that failed.
   */
  commit(view: HeaderMapView): i32 {
    const n = this.count;
    if (n == 0) return 0;
    let individual: usize = 0;
    let setBytes: usize = 0;
    let sets = 0;
    for (let k = 0; k < n; k++) {
      const changed = <usize>this.nameLen(k) + <usize>this.valueLen(k);
      individual += HOST_CALL_COST_BYTES + changed;
      if (this.op(k) == OP_SET) {
        setBytes += 8 + changed + 2;
        sets++;
      }
    }
    // a single change is always one call; otherwise compare with one write of the edited map
    if (n > 1) {
      const touched = this.touched(view);
      let whole: usize = 4 + setBytes;
      let kept = 0;
      for (let i = 0; i < view.count; i++) {
        if (load<u8>(touched + <usize>i) != 0) continue;
        whole += 8 + <usize>view.nameLen(i) + <usize>view.valueLen(i) + 2;
        kept++;
      }
      if (HOST_CALL_COST_BYTES + whole < individual) return this.writeWhole(view, touched, whole, kept + sets);
    }
    let failed = 0;
    for (let k = 0; k < n; k++) {
      const r = this.op(k) == OP_SET
        ? replaceHeaderMapValueBytes(MapType.RequestHeaders, this.nameAt(k), this.nameLen(k), this.valueAt(k), this.valueLen(k))
        : removeHeaderMapValueBytes(MapType.RequestHeaders, this.nameAt(k), this.nameLen(k));
      if (r != WasmResult.Ok) failed++;
    }
    return failed;
  }

  /** One byte per entry of the view: 1 when an edit names it. */
  private touched(view: HeaderMapView): usize {
    this.marks.reserve(<usize>view.count);
    const marks = this.marks.base;
    for (let i = 0; i < view.count; i++) store<u8>(marks + <usize>i, this.touches(view, i) ? 1 : 0);
    return marks;
  }

  // The edited map in wire format: untouched entries in order (each run of them copied as two
  // blocks: its lengths and its names and values), then the set headers.
  private writeWhole(view: HeaderMapView, touched: usize, size: usize, entries: i32): i32 {
    this.wire.reserve(size);
    const base = this.wire.base;
    store<u32>(base, <u32>entries);
    let lens = base + 4;
    let data = base + 4 + <usize>entries * 8;
    const count = view.count;
    let i = 0;
    while (i < count) {
      if (load<u8>(touched + <usize>i) != 0) { i++; continue; }
      let j = i + 1;
      while (j < count && load<u8>(touched + <usize>j) == 0) j++;
      const runLengths = <usize>(j - i) << 3;
      memory.copy(lens, view.lengthsAt(i), runLengths);
      lens += runLengths;
      const from = view.nameAt(i);
      const to = view.valueAt(j - 1) + <usize>view.valueLen(j - 1) + 1; // past the last NUL
      memory.copy(data, from, to - from);
      data += to - from;
      i = j;
    }
    for (let k = 0; k < this.count; k++) {
      if (this.op(k) != OP_SET) continue;
      lens = putLengths(lens, this.nameLen(k), this.valueLen(k));
      data = putBytes(data, this.nameAt(k), this.nameLen(k));
      data = putBytes(data, this.valueAt(k), this.valueLen(k));
    }
    return setHeaderMapPairsBytes(MapType.RequestHeaders, base, size) == WasmResult.Ok ? 0 : 1;
  }
}

@inline function putLengths(p: usize, nameLen: i32, valueLen: i32): usize {
  store<u32>(p, <u32>nameLen);
  store<u32>(p, <u32>valueLen, 4);
  return p + 8;
}

// Copies the bytes plus a NUL terminator; returns the next write address.
@inline function putBytes(dst: usize, src: usize, len: i32): usize {
  memory.copy(dst, src, <usize>len);
  store<u8>(dst + <usize>len, 0);
  return dst + <usize>len + 1;
}
