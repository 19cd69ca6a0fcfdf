// W3C traceparent: version-traceid-parentid-flags (W3C Trace Context Level 1 and 2).
import { ByteBuffer } from "../proxy-wasm/bytes";
import { CHAR_DASH, byteAt, hexDigit, hexValue, isLowerHex, isLowerHexRange, isOws, isZeroRange, putByte, copyBytes } from "./chars";
import {
  CTX_INVALID, CTX_VALID, FORMAT_TRACECONTEXT, ParsedContext, SAMPLING_ACCEPT, SAMPLING_DENY, W3C_KEPT_FLAGS, writeTraceId,
} from "./context";

/** Length of a version-00 traceparent, and the part a higher version is read by. */
export const TRACEPARENT_LENGTH: i32 = 55;

/**
 * Parses the n bytes of a traceparent at p into out (present = false: CTX_ABSENT).
 * - surrounding spaces/tabs are ignored (the W3C test suite's OWS cases), but make the value non-canonical;
 * - version: 2 lower-hex digits and a dash; `ff` is invalid;
 * - version 00: exactly 55 chars;
 * - a higher version: at least 55 chars, read by its first 55, and char 56 must be `-` if there is one;
 * - trace-id 32 and parent-id 16 lower-hex digits, neither all zero; flags 2 lower-hex digits.
 * Flags other than sampled (0x01) and random (0x02) are reserved and MUST be zero when the header is
 * re-emitted, so such a value is valid but non-canonical (it is rewritten with the reserved bits cleared).
 */
export function parseTraceparent(present: bool, p: usize, n: i32, out: ParsedContext): void {
  out.reset();
  if (!present) return;
  out.status = CTX_INVALID;
  let start = 0;
  let end = n;
  while (start < end && isOws(byteAt(p + <usize>start))) start++;
  while (end > start && isOws(byteAt(p + <usize>(end - 1)))) end--;
  const len = end - start;
  if (len < TRACEPARENT_LENGTH) return;
  const v = p + <usize>start;

  const v0 = byteAt(v);
  const v1 = byteAt(v + 1);
  if (!isLowerHex(v0) || !isLowerHex(v1) || byteAt(v + 2) != CHAR_DASH) return;
  const version = (hexValue(v0) << 4) | hexValue(v1);
  if (version == 0xff) return;
  if (version == 0 && len != TRACEPARENT_LENGTH) return;
  if (len > TRACEPARENT_LENGTH && byteAt(v + <usize>TRACEPARENT_LENGTH) != CHAR_DASH) return;

  const traceAt = v + 3;
  const spanAt = v + 36;
  const flagsAt = v + 53;
  if (!isLowerHexRange(traceAt, 32) || byteAt(v + 35) != CHAR_DASH) return;
  if (!isLowerHexRange(spanAt, 16) || byteAt(v + 52) != CHAR_DASH) return;
  if (!isLowerHexRange(flagsAt, 2)) return;
  if (isZeroRange(traceAt, 32) || isZeroRange(spanAt, 16)) return;

  const flags = (hexValue(byteAt(flagsAt)) << 4) | hexValue(byteAt(flagsAt + 1));
  out.status = CTX_VALID;
  out.traceAt = traceAt;
  out.traceLen = 32;
  out.spanAt = spanAt;
  out.w3cFlags = flags & W3C_KEPT_FLAGS;
  out.sampling = (flags & 1) != 0 ? SAMPLING_ACCEPT : SAMPLING_DENY;
  out.canonical = version == 0 && (flags & ~W3C_KEPT_FLAGS) == 0 && start == 0 && end == n;
}

/**
 * Renders `00-<trace-id>-<parent-id>-<flags>` for the context a into `out` (TRACEPARENT_LENGTH
 * bytes; returns their address, 0 when out is full): a W3C context keeps its random flag and its
 * sampling decision, a B3 context maps accept/debug to sampled (01) and deny/defer to 00.
 */
export function renderTraceparent(a: ParsedContext, out: ByteBuffer): usize {
  const s = out.take(<usize>TRACEPARENT_LENGTH);
  if (s == 0) return 0;
  putByte(s, 0x30);
  putByte(s + 1, 0x30);
  putByte(s + 2, CHAR_DASH);
  writeTraceId(s + 3, a, 32);
  putByte(s + 35, CHAR_DASH);
  copyBytes(s + 36, a.spanAt, 16);
  putByte(s + 52, CHAR_DASH);
  const random = a.format == FORMAT_TRACECONTEXT ? a.w3cFlags & 2 : 0;
  const flags = random | (a.sampledBit ? 1 : 0);
  putByte(s + 53, hexDigit(flags >> 4));
  putByte(s + 54, hexDigit(flags & 15));
  return s;
}
