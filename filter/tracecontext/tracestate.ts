// W3C tracestate validation (Trace Context Level 2 grammar).
import { CHAR_COMMA, CHAR_EQUALS, charAt, isOws, rangeEquals } from "./chars";
import { CTX_ABSENT, CTX_INVALID, CTX_VALID } from "./context";

/** At most 32 list members (W3C: "There can be a maximum of 32 list-members in a list"). */
export const TRACESTATE_MAX_MEMBERS: i32 = 32;
/** Keys and values are each at most 256 characters. */
export const TRACESTATE_MAX_KEY: i32 = 256;
export const TRACESTATE_MAX_VALUE: i32 = 256;

/** Scratch for the duplicate-key check: offset and length of each key seen. Reuse it across calls. */
export class TracestateScratch {
  keys: StaticArray<i32> = new StaticArray<i32>(TRACESTATE_MAX_MEMBERS * 2);
}

// @ts-ignore: decorator
@inline function isKeyStart(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

// @ts-ignore: decorator
@inline function isKeyChar(c: i32): bool {
  // lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@"
  return isKeyStart(c) || c == 0x5f || c == 0x2d || c == 0x2a || c == 0x2f || c == 0x40;
}

// @ts-ignore: decorator
@inline function isValueChar(c: i32): bool {
  // printable ASCII 0x20..0x7E except "," and "="
  return c >= 0x20 && c <= 0x7e && c != CHAR_COMMA && c != CHAR_EQUALS;
}

/**
 * Validates a tracestate value (several headers already joined with `,`).
 * Returns CTX_ABSENT (null), CTX_VALID or CTX_INVALID. Rules:
 * - members are separated by `,` with optional spaces/tabs around them; empty and
 *   whitespace-only members are allowed (they appear when several headers are joined)
 *   and do not count against the limit;
 * - at most 32 key=value members — more is invalid (the ABNF allows 1 + 31 members; the
 *   W3C test suite discards a 33-member tracestate rather than truncating it);
 * - key: `[a-z0-9][a-z0-9_\-*\/@]{0,255}` (Level 2: `@` is an ordinary key character, so the
 *   Level 1 `tenant@system` form is included);
 * - value: 1..256 printable ASCII chars without `,` and `=`, not ending in a space;
 * - each key at most once;
 * - one member that breaks the grammar makes the whole tracestate invalid.
 */
export function validateTracestate(value: string | null, scratch: TracestateScratch): i32 {
  if (value === null) return CTX_ABSENT;
  const v = value;
  const n = v.length;
  const keys = scratch.keys;
  let members = 0;
  let pos = 0;
  while (pos <= n) {
    // one list member: [s, e) up to the next comma
    let e = pos;
    while (e < n && charAt(v, e) != CHAR_COMMA) e++;
    let s = pos;
    pos = e + 1;
    while (s < e && isOws(charAt(v, s))) s++;
    while (e > s && isOws(charAt(v, e - 1))) e--;
    if (s == e) continue; // empty member: allowed

    if (members == TRACESTATE_MAX_MEMBERS) return CTX_INVALID;
    // key
    const keyStart = s;
    if (!isKeyStart(charAt(v, s))) return CTX_INVALID;
    let i = s + 1;
    while (i < e && charAt(v, i) != CHAR_EQUALS) {
      if (!isKeyChar(charAt(v, i))) return CTX_INVALID;
      i++;
    }
    const keyLen = i - keyStart;
    if (i == e || keyLen > TRACESTATE_MAX_KEY) return CTX_INVALID; // no "=" or key too long
    // value: (i, e); trailing OWS already trimmed, so it cannot end in a space
    const valueLen = e - i - 1;
    if (valueLen < 1 || valueLen > TRACESTATE_MAX_VALUE) return CTX_INVALID;
    for (let j = i + 1; j < e; j++) {
      if (!isValueChar(charAt(v, j))) return CTX_INVALID;
    }
    // duplicate key
    for (let m = 0; m < members; m++) {
      const off = unchecked(keys[m * 2]);
      const len = unchecked(keys[m * 2 + 1]);
      if (len == keyLen && rangeEquals(v, off, v, keyStart, keyLen)) return CTX_INVALID;
    }
    unchecked((keys[members * 2] = keyStart));
    unchecked((keys[members * 2 + 1] = keyLen));
    members++;
  }
  return CTX_VALID;
}

/** Convenience for tests and one-off callers: validates with a fresh scratch. */
export function isValidTracestate(value: string): bool {
  return validateTracestate(value, new TracestateScratch()) == CTX_VALID;
}
