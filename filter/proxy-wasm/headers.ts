// HeaderPairs: a header map fetched in ONE host call (proxy_get_header_map_pairs) that the
// filter can search, edit and write back without further host calls.
//
// Wire format (FACTS.md §1, little-endian): u32 count; count × (u32 name length, u32 value
// length); then each name and each value followed by one NUL byte.
//
// Why lazy: a request carries ~15 headers of which a filter reads a handful. The wire bytes are
// kept as one copy and an entry is four integers pointing into it; a value becomes a string
// only when asked for, names are compared byte-wise without decoding. Untouched entries are
// written back byte for byte (even bytes that are not valid UTF-8).

const REMOVED: i32 = -2147483648;

@inline function lowerAscii(c: u32): u32 {
  return c - 65 < 26 ? c | 32 : c;
}

export class HeaderPairs {
  // Copy of the host's wire-format block (empty for a map built in the module).
  private raw: ArrayBuffer;
  // 4 ints per entry: nameRef, nameLen, valueRef, valueLen. ref >= 0: byte offset into raw;
  // ref < 0: index -ref-1 into `pool` (len is then the UTF-8 byte length). nameRef == REMOVED:
  // the entry was removed.
  private slots: Array<i32>;
  private pool: Array<string> = new Array<string>();
  private live: i32 = 0;
  /** True once set/add/remove changed the map (so the filter knows whether to write it back). */
  modified: bool = false;

  constructor() {
    this.raw = new ArrayBuffer(0);
    this.slots = new Array<i32>();
  }

  /**
   * Parses a wire-format block at `ptr` (not freed here). A malformed block (counts that do
   * not fit `size`) yields an empty map rather than a trap.
   */
  static parse(ptr: usize, size: usize): HeaderPairs {
    const pairs = new HeaderPairs();
    if (ptr == 0 || size < 4) return pairs;
    const count = <usize>load<u32>(ptr);
    if (count > (size - 4) / 10) return pairs; // each pair needs >= 8 length bytes + 2 NULs
    const raw = new ArrayBuffer(<i32>size);
    memory.copy(changetype<usize>(raw), ptr, size);
    const base = changetype<usize>(raw);
    const slots = new Array<i32>(<i32>count * 4);
    let data: usize = 4 + count * 8;
    for (let i: usize = 0; i < count; i++) {
      const nameLen = <usize>load<u32>(base + 4 + i * 8);
      const valueLen = <usize>load<u32>(base + 8 + i * 8);
      if (data + nameLen + valueLen + 2 > size) return new HeaderPairs();
      unchecked(slots[<i32>i * 4] = <i32>data);
      unchecked(slots[<i32>i * 4 + 1] = <i32>nameLen);
      data += nameLen + 1;
      unchecked(slots[<i32>i * 4 + 2] = <i32>data);
      unchecked(slots[<i32>i * 4 + 3] = <i32>valueLen);
      data += valueLen + 1;
    }
    pairs.raw = raw;
    pairs.slots = slots;
    pairs.live = <i32>count;
    return pairs;
  }

  /** Number of entries still present. */
  get size(): i32 {
    return this.live;
  }

  /** Number of entry slots, including removed ones (iterate 0..slotCount and skip !isLive). */
  get slotCount(): i32 {
    return this.slots.length >> 2;
  }

  isLive(i: i32): bool {
    return unchecked(this.slots[i << 2]) != REMOVED;
  }

  /** Name of entry i (lower case as Envoy gives it). */
  name(i: i32): string {
    return this.text(unchecked(this.slots[i << 2]), unchecked(this.slots[(i << 2) + 1]));
  }

  /** Value of entry i. */
  value(i: i32): string {
    return this.text(unchecked(this.slots[(i << 2) + 2]), unchecked(this.slots[(i << 2) + 3]));
  }

  /** Byte length of the name of entry i (no decoding): a cheap first test before nameIs. */
  nameByteLength(i: i32): i32 {
    return unchecked(this.slots[(i << 2) + 1]);
  }

  /** Byte length of the value of entry i (no decoding). */
  valueByteLength(i: i32): i32 {
    return unchecked(this.slots[(i << 2) + 3]);
  }

  /** True when entry i is live and its name equals `name` (ASCII case-insensitive). */
  nameIs(i: i32, name: string): bool {
    const ref = unchecked(this.slots[i << 2]);
    if (ref == REMOVED) return false;
    if (ref < 0) {
      const own = unchecked(this.pool[-ref - 1]);
      if (own.length != name.length) return false;
      for (let k = 0; k < name.length; k++) {
        if (lowerAscii(<u32>own.charCodeAt(k)) != lowerAscii(<u32>name.charCodeAt(k))) return false;
      }
      return true;
    }
    const len = unchecked(this.slots[(i << 2) + 1]);
    if (len != name.length) return false;
    const p = changetype<usize>(this.raw) + <usize>ref;
    for (let k = 0; k < len; k++) {
      const c = <u32>name.charCodeAt(k);
      if (c >= 0x80) return false;
      if (lowerAscii(<u32>load<u8>(p + <usize>k)) != lowerAscii(c)) return false;
    }
    return true;
  }

  /** Index of the first live entry named `name` at or after `from`, or -1. */
  indexOf(name: string, from: i32 = 0): i32 {
    const n = this.slotCount;
    for (let i = from; i < n; i++) if (this.nameIs(i, name)) return i;
    return -1;
  }

  has(name: string): bool {
    return this.indexOf(name) >= 0;
  }

  /** First value of `name`, or null when absent. */
  get(name: string): string | null {
    const i = this.indexOf(name);
    return i < 0 ? null : this.value(i);
  }

  /** Number of live entries named `name`. */
  countOf(name: string): i32 {
    let n = 0;
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) n++;
    return n;
  }

  /** All values of `name` joined by `separator` (e.g. repeated tracestate headers), or null. */
  getJoined(name: string, separator: string): string | null {
    let i = this.indexOf(name);
    if (i < 0) return null;
    let result = this.value(i);
    for (i = this.indexOf(name, i + 1); i >= 0; i = this.indexOf(name, i + 1)) {
      result = result + separator + this.value(i);
    }
    return result;
  }

  /** Sets `name` to exactly one value: the first entry keeps its position, others go. */
  set(name: string, value: string): void {
    const i = this.indexOf(name);
    if (i < 0) {
      this.add(name, value);
      return;
    }
    this.setValueAt(i, value);
    for (let j = this.indexOf(name, i + 1); j >= 0; j = this.indexOf(name, j + 1)) this.removeAt(j);
  }

  /** Appends an entry (keeps existing ones: repeated headers are legal). */
  add(name: string, value: string): void {
    const lower = name.toLowerCase();
    this.slots.push(this.intern(lower));
    this.slots.push(String.UTF8.byteLength(lower, false));
    this.slots.push(this.intern(value));
    this.slots.push(String.UTF8.byteLength(value, false));
    this.live++;
    this.modified = true;
  }

  /** Replaces the value of entry i. */
  setValueAt(i: i32, value: string): void {
    unchecked(this.slots[(i << 2) + 2] = this.intern(value));
    unchecked(this.slots[(i << 2) + 3] = String.UTF8.byteLength(value, false));
    this.modified = true;
  }

  /** Removes every entry named `name`; returns how many were removed. */
  remove(name: string): i32 {
    let n = 0;
    for (let i = this.indexOf(name); i >= 0; i = this.indexOf(name, i + 1)) {
      this.removeAt(i);
      n++;
    }
    return n;
  }

  removeAt(i: i32): void {
    if (unchecked(this.slots[i << 2]) == REMOVED) return;
    unchecked(this.slots[i << 2] = REMOVED);
    this.live--;
    this.modified = true;
  }

  /** Size in bytes of the wire-format serialisation. */
  serializedSize(): usize {
    let total: usize = 4;
    const n = this.slotCount;
    for (let i = 0; i < n; i++) {
      if (unchecked(this.slots[i << 2]) == REMOVED) continue;
      total += 8 + <usize>unchecked(this.slots[(i << 2) + 1]) + <usize>unchecked(this.slots[(i << 2) + 3]) + 2;
    }
    return total;
  }

  /** Writes the wire format to `dst` (serializedSize() bytes). */
  serializeTo(dst: usize): void {
    const n = this.slotCount;
    store<u32>(dst, <u32>this.live);
    let lens = dst + 4;
    let data = dst + 4 + <usize>this.live * 8;
    for (let i = 0; i < n; i++) {
      const nameRef = unchecked(this.slots[i << 2]);
      if (nameRef == REMOVED) continue;
      const nameLen = unchecked(this.slots[(i << 2) + 1]);
      const valueRef = unchecked(this.slots[(i << 2) + 2]);
      const valueLen = unchecked(this.slots[(i << 2) + 3]);
      store<u32>(lens, <u32>nameLen);
      store<u32>(lens, <u32>valueLen, 4);
      lens += 8;
      data = this.copyText(nameRef, nameLen, data);
      data = this.copyText(valueRef, valueLen, data);
    }
  }

  /** The wire format as a new buffer. */
  serialize(): ArrayBuffer {
    const buf = new ArrayBuffer(<i32>this.serializedSize());
    this.serializeTo(changetype<usize>(buf));
    return buf;
  }

  private intern(s: string): i32 {
    this.pool.push(s);
    return -this.pool.length;
  }

  private text(ref: i32, len: i32): string {
    if (ref == REMOVED) return "";
    if (ref < 0) return unchecked(this.pool[-ref - 1]);
    return String.UTF8.decodeUnsafe(changetype<usize>(this.raw) + <usize>ref, <usize>len);
  }

  // Copies an entry's bytes plus the NUL terminator to dst; returns the next write address.
  private copyText(ref: i32, len: i32, dst: usize): usize {
    if (ref < 0) {
      const s = unchecked(this.pool[-ref - 1]);
      String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, dst, false);
    } else {
      memory.copy(dst, changetype<usize>(this.raw) + <usize>ref, <usize>len);
    }
    store<u8>(dst + <usize>len, 0);
    return dst + <usize>len + 1;
  }
}
