// W3C tracestate: validation across every tracestate header of a request (they form one list,
// in order), and the list without repeated keys when a key repeats.
//
// Level 1 and Level 2 differ in three places; decided here (docs/filter.md, "Trace-context rules"):
// - a key that repeats: Level 1's test suite discards the whole tracestate, Level 2's keeps it
//   ("the duplicated keys either kept as-is or one of them discarded"): it is KEPT, with the
//   first member of each key (the leftmost is the most recent) and the repeats dropped;
// - keys: a simple key may start with a digit (Level 2), and the multi-tenant form keeps the
//   structure the test suite checks: one "@", tenant 1–241 chars starting with a letter or
//   digit, system 1–14 chars starting with a letter (`foo@`, `@foo`, `foo@@bar`, `a@b@c` are invalid);
// - anything else that breaks the grammar still makes the whole tracestate invalid.
import { ByteBuffer } from "../proxy-wasm/bytes";
import { CHAR_AT, CHAR_COMMA, CHAR_EQUALS, byteAt, isOws, rangeEquals, putByte, copyBytes } from "./chars";
import { CTX_ABSENT, CTX_INVALID, CTX_VALID } from "./context";

/** Header values (address, length) in order, in unmanaged memory (@unmanaged: create once). */
@unmanaged export class ValueList {
  private readonly table: usize;
  readonly capacity: i32;
  count: i32 = 0;

  constructor(capacity: i32) {
    this.capacity = capacity;
    this.table = heap.alloc(<usize>capacity << 3);
  }

  @inline at(i: i32): usize { return <usize>load<u32>(this.table + (<usize>i << 3)); }
  @inline len(i: i32): i32 { return load<i32>(this.table + (<usize>i << 3), 4); }

  /** Appends a value; false when the list is full. */
  push(at: usize, len: i32): bool {
    if (this.count == this.capacity) return false;
    const p = this.table + (<usize>this.count << 3);
    store<u32>(p, <u32>at);
    store<i32>(p, len, 4);
    this.count++;
    return true;
  }
}

/** At most 32 list members (W3C: "There can be a maximum of 32 list-members in a list"). */
export const TRACESTATE_MAX_MEMBERS: i32 = 32;
/** Keys and values are each at most 256 characters. */
export const TRACESTATE_MAX_KEY: i32 = 256;
export const TRACESTATE_MAX_VALUE: i32 = 256;
const MAX_TENANT: i32 = 241;
const MAX_SYSTEM: i32 = 14;

/** The members of the last validated list, reused request after request (@unmanaged: create once). */
@unmanaged export class TracestateScratch {
  // per member (16 bytes): address, length, key length, repeated (an earlier member had the key)
  private readonly table: usize = heap.alloc(<usize>TRACESTATE_MAX_MEMBERS << 4);
  /** Members in the list, repeats included. */
  members: i32 = 0;
  /** Members whose key an earlier member already had (dropped from the forwarded list). */
  repeats: i32 = 0;

  @inline memberAt(m: i32): usize { return <usize>load<u32>(this.table + (<usize>m << 4)); }
  @inline memberLen(m: i32): i32 { return load<i32>(this.table + (<usize>m << 4), 4); }
  @inline keyLen(m: i32): i32 { return load<i32>(this.table + (<usize>m << 4), 8); }
  @inline isRepeat(m: i32): bool { return load<i32>(this.table + (<usize>m << 4), 12) != 0; }

  record(at: usize, len: i32, keyLen: i32, repeat: bool): void {
    const p = this.table + (<usize>this.members << 4);
    store<u32>(p, <u32>at);
    store<i32>(p, len, 4);
    store<i32>(p, keyLen, 8);
    store<i32>(p, repeat ? 1 : 0, 12);
    this.members++;
    if (repeat) this.repeats++;
  }
}

// @ts-ignore: decorator
@inline function isLcAlpha(c: i32): bool {
  return c >= 0x61 && c <= 0x7a;
}

// @ts-ignore: decorator
@inline function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

// @ts-ignore: decorator
@inline function isKeyChar(c: i32): bool {
  // lcalpha / DIGIT / "_" / "-" / "*" / "/"
  return isLcAlpha(c) || isDigit(c) || c == 0x5f || c == 0x2d || c == 0x2a || c == 0x2f;
}

// @ts-ignore: decorator
@inline function isValueChar(c: i32): bool {
  // printable ASCII 0x20..0x7E except "," and "="
  return c >= 0x20 && c <= 0x7e && c != CHAR_COMMA && c != CHAR_EQUALS;
}

/** Key chars [p, p+len) after the first, and the first one by `firstMayBeDigit`. */
function isKeyPart(p: usize, len: i32, max: i32, firstMayBeDigit: bool): bool {
  if (len < 1 || len > max) return false;
  const c = byteAt(p);
  if (!isLcAlpha(c) && !(firstMayBeDigit && isDigit(c))) return false;
  for (let i = 1; i < len; i++) if (!isKeyChar(byteAt(p + <usize>i))) return false;
  return true;
}

/** simple-key (first char a letter or, Level 2, a digit) or tenant "@" system. */
export function isTracestateKey(p: usize, len: i32): bool {
  let at = -1;
  for (let i = 0; i < len; i++) {
    if (byteAt(p + <usize>i) == CHAR_AT) {
      if (at >= 0) return false; // a second "@"
      at = i;
    }
  }
  if (at < 0) return isKeyPart(p, len, TRACESTATE_MAX_KEY, true);
  return isKeyPart(p, at, MAX_TENANT, true) && isKeyPart(p + <usize>(at + 1), len - at - 1, MAX_SYSTEM, false);
}

/** Validates one list member [s, e) (OWS already trimmed) and records it. */
function addMember(s: usize, e: usize, scratch: TracestateScratch): bool {
  let eq = s;
  while (eq < e && byteAt(eq) != CHAR_EQUALS) eq++;
  if (eq == e) return false; // no "="
  const keyLen = <i32>(eq - s);
  if (!isTracestateKey(s, keyLen)) return false;
  // value: 1..256 chars; trailing OWS was trimmed, so it cannot end in a space
  const valueLen = <i32>(e - eq - 1);
  if (valueLen < 1 || valueLen > TRACESTATE_MAX_VALUE) return false;
  for (let p = eq + 1; p < e; p++) if (!isValueChar(byteAt(p))) return false;
  const m = scratch.members;
  if (m == TRACESTATE_MAX_MEMBERS) return false;
  let repeat = false;
  for (let k = 0; k < m; k++) {
    if (scratch.keyLen(k) == keyLen && rangeEquals(scratch.memberAt(k), s, keyLen)) {
      repeat = true;
      break;
    }
  }
  scratch.record(s, <i32>(e - s), keyLen, repeat);
  return true;
}

/**
 * Validates the tracestate list made of the header `values`, joined with ",". CTX_ABSENT (count 0), CTX_VALID or CTX_INVALID. Rules:
 * - members are separated by `,` with optional spaces/tabs around them; empty and
 *   whitespace-only members are allowed (they appear when several headers are joined) and do
 *   not count against the limit;
 * - at most 32 key=value members, repeats included — more is invalid (the W3C test suite
 *   discards a 33-member tracestate rather than truncating it);
 * - key: see isTracestateKey; value: 1..256 printable ASCII chars without `,` and `=`, not
 *   ending in a space;
 * - one member that breaks the grammar makes the whole tracestate invalid;
 * - a repeated key does not (scratch.repeats counts them; renderWithoutRepeats drops them).
 */
export function validateTracestate(values: ValueList, scratch: TracestateScratch): i32 {
  scratch.members = 0;
  scratch.repeats = 0;
  const count = values.count;
  if (count == 0) return CTX_ABSENT;
  for (let h = 0; h < count; h++) {
    const base = values.at(h);
    const end = base + <usize>values.len(h);
    let pos = base;
    while (pos <= end) {
      // one list member: [s, e) up to the next comma
      let e = pos;
      while (e < end && byteAt(e) != CHAR_COMMA) e++;
      let s = pos;
      pos = e + 1;
      while (s < e && isOws(byteAt(s))) s++;
      while (e > s && isOws(byteAt(e - 1))) e--;
      if (s == e) continue; // empty member: allowed
      if (!addMember(s, e, scratch)) return CTX_INVALID;
    }
  }
  return CTX_VALID;
}

/** Bytes renderWithoutRepeats writes for the last validated list. */
export function withoutRepeatsLength(scratch: TracestateScratch): i32 {
  let n = 0;
  for (let m = 0; m < scratch.members; m++) {
    if (!scratch.isRepeat(m)) n += scratch.memberLen(m) + 1;
  }
  return n > 0 ? n - 1 : 0;
}

/** The last validated list with only the first member of each key, joined with ","; returns its address (0 when out is full). */
export function renderWithoutRepeats(scratch: TracestateScratch, out: ByteBuffer): usize {
  const total = withoutRepeatsLength(scratch);
  const s = out.take(<usize>total);
  if (s == 0 && total > 0) return 0;
  let p = s;
  for (let m = 0; m < scratch.members; m++) {
    if (scratch.isRepeat(m)) continue;
    if (p != s) { putByte(p, CHAR_COMMA); p++; }
    const n = scratch.memberLen(m);
    copyBytes(p, scratch.memberAt(m), n);
    p += <usize>n;
  }
  return s;
}
