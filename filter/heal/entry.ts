// One remembered context as it is kept in proxy-wasm shared data: a fixed header, the IDs as the
// lower-hex text the headers carry (so healing copies them into headers as they are), the healed
// trace's alias when the inbound request carried one (alias.ts), and the tracestate the inbound
// request forwarded. Pure: reads and writes bytes at the addresses given.
//
// Layout (little-endian):
//    0 u8  version (ENTRY_VERSION)
//    1 u8  format of the context (FORMAT_*: tracecontext, b3, b3multi)
//    2 u8  B3 sampling state (SAMPLING_*)
//    3 u8  W3C flags (sampled, random)
//    4 u8  trace ID length (16 or 32)
//    5 u8  flags: FLAG_PARENT when a ParentSpanId follows, FLAG_ALIAS when an alias follows
//    6 u16 tracestate length
//    8 u64 time remembered (ms since the epoch, the filter's coarse clock)
//   16 16  key (request-id.ts)
//   32 32  trace ID (traceLen bytes used)
//   64 16  span ID
//   80 16  ParentSpanId (when present)
//   96 32  alias: the healed trace's ID (when FLAG_ALIAS)
//   96 or 128 …  tracestate
import { ValueList } from "../tracecontext/tracestate";
import { CTX_VALID, ParsedContext, FORMAT_TRACECONTEXT, FORMAT_B3, FORMAT_B3MULTI, SAMPLING_DEBUG } from "../tracecontext/context";
import { isLowerHexRange } from "../tracecontext/chars";
import { KEY_LENGTH } from "./request-id";
import { ALIAS_LENGTH, isAliasValue } from "./alias";

/** 2 since entries may carry an alias; an entry of another version is never trusted. */
export const ENTRY_VERSION: u8 = 2;
export const ENTRY_HEADER: i32 = 96;
const FLAG_PARENT: u8 = 1;
const FLAG_ALIAS: u8 = 2;
/** A longer tracestate is not remembered (the healed request then carries none). */
export const MAX_REMEMBERED_TRACESTATE: i32 = 512;
export const MAX_ENTRY_LENGTH: i32 = ENTRY_HEADER + ALIAS_LENGTH + MAX_REMEMBERED_TRACESTATE;

/** What readEntry found. */
export const ENTRY_OK: i32 = 0;
/** The slot holds another request's context (it was overwritten). */
export const ENTRY_OTHER_KEY: i32 = 1;
/** Not an entry this version wrote (never trusted). */
export const ENTRY_CORRUPT: i32 = 2;

/** Bytes of the tracestate `values` joined with ",", or -1 when it is too long to remember. */
export function rememberedTracestateLength(values: ValueList | null): i32 {
  if (values === null || values.count == 0) return 0;
  const list = changetype<ValueList>(values);
  let n = list.count - 1;
  for (let i = 0; i < list.count; i++) n += list.len(i);
  return n > MAX_REMEMBERED_TRACESTATE ? -1 : n;
}

/**
 * Writes the entry for context `a` (the context the inbound request continues) at `out` (room for
 * MAX_ENTRY_LENGTH bytes) and returns its length. `tracestate` is what the request forwards with
 * a W3C context (null: none); one longer than MAX_REMEMBERED_TRACESTATE is left out. `aliasAt`:
 * the 32-byte alias the inbound request carried (trusted), or 0.
 */
export function writeEntry(out: usize, key: usize, nowMs: u64, a: ParsedContext, tracestate: ValueList | null, aliasAt: usize): i32 {
  let tsLen = a.format == FORMAT_TRACECONTEXT ? rememberedTracestateLength(tracestate) : 0;
  if (tsLen < 0) tsLen = 0;
  store<u8>(out, ENTRY_VERSION);
  store<u8>(out, <u8>a.format, 1);
  store<u8>(out, <u8>a.sampling, 2);
  store<u8>(out, <u8>a.w3cFlags, 3);
  store<u8>(out, <u8>a.traceLen, 4);
  store<u8>(out, (a.parentAt != 0 ? FLAG_PARENT : 0) | (aliasAt != 0 ? FLAG_ALIAS : 0), 5);
  store<u16>(out, <u16>tsLen, 6);
  store<u64>(out, nowMs, 8);
  // 16-byte blocks as two u64 stores each (the IDs are 16 or 32 bytes; readers use the lengths)
  copy16(out + 16, key);
  copy16(out + 32, a.traceAt);
  if (a.traceLen == 32) copy16(out + 48, a.traceAt + 16);
  copy16(out + 64, a.spanAt);
  if (a.parentAt != 0) copy16(out + 80, a.parentAt);
  let p = out + <usize>ENTRY_HEADER;
  if (aliasAt != 0) {
    copy16(p, aliasAt);
    copy16(p + 16, aliasAt + 16);
    p += <usize>ALIAS_LENGTH;
  }
  const head = <i32>(p - out);
  if (tsLen > 0) {
    const list = changetype<ValueList>(tracestate);
    for (let i = 0; i < list.count; i++) {
      if (i > 0) { store<u8>(p, 0x2c); p++; }
      memory.copy(p, list.at(i), <usize>list.len(i));
      p += <usize>list.len(i);
    }
  }
  return head + tsLen;
}

// @ts-ignore: decorator
@inline function copy16(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

/** A context read back from an entry; its IDs point into the entry's bytes. */
@unmanaged export class RememberedContext {
  readonly context: ParsedContext = new ParsedContext(FORMAT_TRACECONTEXT);
  /** When it was remembered (ms since the epoch). */
  timeMs: u64 = 0;
  /** The healed trace's alias (32 bytes) the inbound request carried, or 0. */
  aliasAt: usize = 0;
  tracestateAt: usize = 0;
  tracestateLen: i32 = 0;
}

/**
 * Reads the len-byte entry at p into `out` when it was written for `key` (ENTRY_OK); ENTRY_OTHER_KEY
 * when it belongs to another request; ENTRY_CORRUPT when it is not a well-formed entry.
 */
export function readEntry(p: usize, len: i32, key: usize, out: RememberedContext): i32 {
  if (len < ENTRY_HEADER || load<u8>(p) != ENTRY_VERSION) return ENTRY_CORRUPT;
  const format = <i32>load<u8>(p, 1);
  const sampling = <i32>load<u8>(p, 2);
  const traceLen = <i32>load<u8>(p, 4);
  const flags = load<u8>(p, 5);
  const hasParent = (flags & FLAG_PARENT) != 0;
  const aliasLen = (flags & FLAG_ALIAS) != 0 ? ALIAS_LENGTH : 0;
  const tsLen = <i32>load<u16>(p, 6);
  if (format != FORMAT_TRACECONTEXT && format != FORMAT_B3 && format != FORMAT_B3MULTI) return ENTRY_CORRUPT;
  if (sampling < 0 || sampling > SAMPLING_DEBUG || (traceLen != 16 && traceLen != 32) || flags > (FLAG_PARENT | FLAG_ALIAS)) return ENTRY_CORRUPT;
  if (len != ENTRY_HEADER + aliasLen + tsLen || tsLen > MAX_REMEMBERED_TRACESTATE) return ENTRY_CORRUPT;
  if (!isLowerHexRange(p + 32, traceLen) || !isLowerHexRange(p + 64, 16) || (hasParent && !isLowerHexRange(p + 80, 16))) return ENTRY_CORRUPT;
  if (aliasLen > 0 && !isAliasValue(p + <usize>ENTRY_HEADER, ALIAS_LENGTH)) return ENTRY_CORRUPT;
  if (memory.compare(p + 16, key, <usize>KEY_LENGTH) != 0) return ENTRY_OTHER_KEY;
  const c = out.context;
  c.reset();
  c.format = format;
  c.status = CTX_VALID;
  c.sampling = sampling;
  c.w3cFlags = <i32>load<u8>(p, 3) & 3;
  c.traceAt = p + 32;
  c.traceLen = traceLen;
  c.spanAt = p + 64;
  c.parentAt = hasParent ? p + 80 : 0;
  out.timeMs = load<u64>(p, 8);
  out.aliasAt = aliasLen > 0 ? p + <usize>ENTRY_HEADER : 0;
  out.tracestateAt = p + <usize>(ENTRY_HEADER + aliasLen);
  out.tracestateLen = tsLen;
  return ENTRY_OK;
}
