// W3C traceparent: version-traceid-parentid-flags (W3C Trace Context Level 1 and 2).
import { CHAR_DASH, charAt, hexDigit, hexValue, isLowerHex, isLowerHexRange, isOws, isZeroRange, allocString, putChar, copyChars } from "./chars";
import {
  CTX_INVALID, CTX_VALID, FORMAT_TRACECONTEXT, ParsedContext, SAMPLING_ACCEPT, SAMPLING_DENY, W3C_KEPT_FLAGS,
} from "./context";

/** Length of a version-00 traceparent, and the part a higher version is read by. */
export const TRACEPARENT_LENGTH: i32 = 55;

/**
 * Parses a traceparent value into out (status CTX_ABSENT for null).
 * - surrounding spaces/tabs are ignored (the W3C test suite's OWS cases), but make the value non-canonical;
 * - version: 2 lower-hex digits and a dash; `ff` is invalid;
 * - version 00: exactly 55 chars;
 * - a higher version: at least 55 chars, read by its first 55, and char 56 must be `-` if there is one;
 * - trace-id 32 and parent-id 16 lower-hex digits, neither all zero; flags 2 lower-hex digits.
 * Flags other than sampled (0x01) and random (0x02) are reserved and MUST be zero when the header is
 * re-emitted, so such a value is valid but non-canonical (it is rewritten with the reserved bits cleared).
 */
export function parseTraceparent(value: string | null, out: ParsedContext): void {
  out.reset();
  if (value === null) return;
  const v = value;
  out.status = CTX_INVALID;
  let start = 0;
  let end = v.length;
  while (start < end && isOws(charAt(v, start))) start++;
  while (end > start && isOws(charAt(v, end - 1))) end--;
  const n = end - start;
  if (n < TRACEPARENT_LENGTH) return;

  const v0 = charAt(v, start);
  const v1 = charAt(v, start + 1);
  if (!isLowerHex(v0) || !isLowerHex(v1) || charAt(v, start + 2) != CHAR_DASH) return;
  const version = (hexValue(v0) << 4) | hexValue(v1);
  if (version == 0xff) return;
  if (version == 0 && n != TRACEPARENT_LENGTH) return;
  if (n > TRACEPARENT_LENGTH && charAt(v, start + TRACEPARENT_LENGTH) != CHAR_DASH) return;

  const traceOff = start + 3;
  const spanOff = start + 36;
  const flagsOff = start + 53;
  if (!isLowerHexRange(v, traceOff, 32) || charAt(v, start + 35) != CHAR_DASH) return;
  if (!isLowerHexRange(v, spanOff, 16) || charAt(v, start + 52) != CHAR_DASH) return;
  if (!isLowerHexRange(v, flagsOff, 2)) return;
  if (isZeroRange(v, traceOff, 32) || isZeroRange(v, spanOff, 16)) return;

  const flags = (hexValue(charAt(v, flagsOff)) << 4) | hexValue(charAt(v, flagsOff + 1));
  out.status = CTX_VALID;
  out.traceSrc = v;
  out.traceOff = traceOff;
  out.traceLen = 32;
  out.spanSrc = v;
  out.spanOff = spanOff;
  out.w3cFlags = flags & W3C_KEPT_FLAGS;
  out.sampling = (flags & 1) != 0 ? SAMPLING_ACCEPT : SAMPLING_DENY;
  out.canonical = version == 0 && (flags & ~W3C_KEPT_FLAGS) == 0 && start == 0 && end == v.length;
}

/** Validity only (for callers that do not need the fields). */
export function isValidTraceparent(value: string | null, scratch: ParsedContext): bool {
  parseTraceparent(value, scratch);
  return scratch.status == CTX_VALID;
}

/**
 * Renders `00-<trace-id>-<parent-id>-<flags>` for the context a: a W3C context keeps its sampled and
 * random flags, a B3 context maps accept/debug to sampled (01) and deny/defer to 00. One allocation.
 */
export function renderTraceparent(a: ParsedContext): string {
  const s = allocString(TRACEPARENT_LENGTH);
  putChar(s, 0, 0x30);
  putChar(s, 1, 0x30);
  putChar(s, 2, CHAR_DASH);
  if (a.traceLen == 32) {
    copyChars(s, 3, a.traceSrc, a.traceOff, 32);
  } else {
    for (let i = 0; i < 16; i++) putChar(s, 3 + i, 0x30);
    copyChars(s, 19, a.traceSrc, a.traceOff, 16);
  }
  putChar(s, 35, CHAR_DASH);
  copyChars(s, 36, a.spanSrc, a.spanOff, 16);
  putChar(s, 52, CHAR_DASH);
  const flags = a.format == FORMAT_TRACECONTEXT ? a.w3cFlags : (a.sampledBit ? 1 : 0);
  putChar(s, 53, hexDigit(flags >> 4));
  putChar(s, 54, hexDigit(flags & 15));
  return s;
}
