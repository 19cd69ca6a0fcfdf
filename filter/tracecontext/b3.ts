// B3 propagation (openzipkin/b3-propagation), read as brave and OpenTelemetry read it: the single
// `b3` header and the X-B3-* headers. IDs are lower-hex only, as B3 writes them; an all-zero ID
// is invalid.
import { ByteBuffer, ByteString } from "../proxy-wasm/bytes";
import { CHAR_DASH, byteAt, bytesAre, bytesAreIgnoringCase, isLowerHexRange, isZeroRange, putByte, copyBytes } from "./chars";
import {
  CTX_INVALID, CTX_SAMPLING_ONLY, CTX_VALID, FORMAT_TRACECONTEXT, ParsedContext,
  SAMPLING_ACCEPT, SAMPLING_DEBUG, SAMPLING_DEFER, SAMPLING_DENY, writeTraceId,
} from "./context";

// @ts-ignore: decorator
@inline function isTraceIdAt(p: usize, len: i32): bool {
  return (len == 16 || len == 32) && isLowerHexRange(p, len) && !isZeroRange(p, len);
}

// @ts-ignore: decorator
@inline function isSpanIdAt(p: usize): bool {
  return isLowerHexRange(p, 16) && !isZeroRange(p, 16);
}

/** Sampling state char of the single header: 0 deny, 1 accept, d debug; -1 otherwise. */
function singleSampling(c: i32): i32 {
  if (c == 0x30) return SAMPLING_DENY;
  if (c == 0x31) return SAMPLING_ACCEPT;
  if (c == 0x64) return SAMPLING_DEBUG;
  return -1;
}

/**
 * Parses `b3` (n bytes at p): `{TraceId}-{SpanId}`, `…-{SamplingState}`,
 * `…-{SamplingState}-{ParentSpanId}`, `…-{ParentSpanId}` (deferred sampling with a parent, which
 * brave writes and reads), or the sampling-only `0` (deny), `1` (accept), `d` (debug).
 * TraceId 16 or 32 lower-hex, SpanId and ParentSpanId 16 lower-hex, none all zero; SamplingState
 * one of 0, 1, d.
 */
export function parseB3Single(present: bool, p: usize, n: i32, out: ParsedContext): void {
  out.reset();
  if (!present) return;
  out.status = CTX_INVALID;
  if (n == 1) {
    const s = singleSampling(byteAt(p));
    if (s < 0) return;
    out.sampling = s;
    out.status = CTX_SAMPLING_ONLY;
    return;
  }
  // the trace ID ends at the first dash, which must be at 16 or 32
  let traceLen = 0;
  if (n > 16 && byteAt(p + 16) == CHAR_DASH) traceLen = 16;
  else if (n > 32 && byteAt(p + 32) == CHAR_DASH) traceLen = 32;
  else return;
  if (!isTraceIdAt(p, traceLen)) return;
  const spanOff = traceLen + 1;
  if (n < spanOff + 16 || !isSpanIdAt(p + <usize>spanOff)) return;
  const pos = spanOff + 16;
  let sampling = SAMPLING_DEFER;
  let parentOff = -1;
  const rest = n - pos; // "" | "-s" | "-s-parent" | "-parent"
  if (rest != 0) {
    if (byteAt(p + <usize>pos) != CHAR_DASH) return;
    if (rest == 2 || rest == 19) {
      sampling = singleSampling(byteAt(p + <usize>(pos + 1)));
      if (sampling < 0) return;
      if (rest == 19) {
        if (byteAt(p + <usize>(pos + 2)) != CHAR_DASH) return;
        parentOff = pos + 3;
      }
    } else if (rest == 17) {
      parentOff = pos + 1;
    } else {
      return;
    }
    if (parentOff >= 0 && !isSpanIdAt(p + <usize>parentOff)) return;
  }
  out.status = CTX_VALID;
  out.traceAt = p;
  out.traceLen = traceLen;
  out.spanAt = p + <usize>spanOff;
  if (parentOff >= 0) out.parentAt = p + <usize>parentOff;
  out.sampling = sampling;
}

/** One X-B3-* header: present, and its (first) value's bytes. */
@unmanaged export class B3Value {
  present: bool = false;
  at: usize = 0;
  len: i32 = 0;
}

/**
 * Parses the X-B3-* headers (their first values):
 * - X-B3-TraceId (16 or 32 lower-hex) and X-B3-SpanId (16) are required together;
 * - X-B3-ParentSpanId (16) only beside them;
 * - X-B3-Sampled `1` / `0`, and `true` / `false` in any case (accepted, rewritten as 1 / 0);
 *   anything else makes the set invalid;
 * - X-B3-Flags `1` = debug (implies accept); any other value is ignored (not forwarded);
 * - Sampled and/or Flags alone (no IDs) are a sampling-only decision.
 */
export function parseB3Multi(
  traceId: B3Value, spanId: B3Value, parentSpanId: B3Value, sampled: B3Value, flags: B3Value, out: ParsedContext,
): void {
  out.reset();
  if (!traceId.present && !spanId.present && !parentSpanId.present && !sampled.present && !flags.present) return;
  out.status = CTX_INVALID;

  let sampling = SAMPLING_DEFER;
  let canonical = true;
  if (sampled.present) {
    if (bytesAre(sampled.at, sampled.len, "1")) sampling = SAMPLING_ACCEPT;
    else if (bytesAre(sampled.at, sampled.len, "0")) sampling = SAMPLING_DENY;
    else if (bytesAreIgnoringCase(sampled.at, sampled.len, "true")) { sampling = SAMPLING_ACCEPT; canonical = false; }
    else if (bytesAreIgnoringCase(sampled.at, sampled.len, "false")) { sampling = SAMPLING_DENY; canonical = false; }
    else return;
  }
  if (flags.present) {
    if (bytesAre(flags.at, flags.len, "1")) {
      // Debug implies accept; B3 says not to send Sampled beside it, so only a redundant "1" is canonical.
      if (sampled.present && !bytesAre(sampled.at, sampled.len, "1")) canonical = false;
      sampling = SAMPLING_DEBUG;
    } else {
      canonical = false; // ignored, as brave and OpenTelemetry do; not forwarded
    }
  }

  if (!traceId.present && !spanId.present) {
    if (parentSpanId.present) return;
    out.sampling = sampling;
    out.canonical = canonical;
    out.status = CTX_SAMPLING_ONLY;
    return;
  }
  if (!traceId.present || !spanId.present) return;
  if (!isTraceIdAt(traceId.at, traceId.len)) return;
  if (spanId.len != 16 || !isSpanIdAt(spanId.at)) return;
  if (parentSpanId.present) {
    if (parentSpanId.len != 16 || !isSpanIdAt(parentSpanId.at)) return;
    out.parentAt = parentSpanId.at;
  }
  out.status = CTX_VALID;
  out.traceAt = traceId.at;
  out.traceLen = traceId.len;
  out.spanAt = spanId.at;
  out.sampling = sampling;
  out.canonical = canonical;
}

/** Trace-ID width B3 outputs use for the authority a: a B3 authority keeps its own width, W3C gives 32. */
export function b3TraceWidth(a: ParsedContext): i32 {
  return a.format == FORMAT_TRACECONTEXT ? 32 : a.traceLen;
}

/** Length of the `b3` value renderB3Single writes for a. */
export function b3SingleLength(a: ParsedContext): i32 {
  const hasSampling = a.sampling != SAMPLING_DEFER;
  return b3TraceWidth(a) + 17 + (hasSampling ? 2 : 0) + (hasSampling && a.parentAt != 0 ? 17 : 0);
}

/** `b3` value for a into out (b3SingleLength(a) bytes); the ParentSpanId only beside an explicit sampling state. */
export function renderB3Single(a: ParsedContext, out: ByteBuffer): usize {
  const width = b3TraceWidth(a);
  const hasSampling = a.sampling != SAMPLING_DEFER;
  const s = out.take(<usize>b3SingleLength(a));
  if (s == 0) return 0;
  writeTraceId(s, a, width);
  putByte(s + <usize>width, CHAR_DASH);
  copyBytes(s + <usize>(width + 1), a.spanAt, 16);
  let pos = s + <usize>(width + 17);
  if (hasSampling) {
    putByte(pos, CHAR_DASH);
    putByte(pos + 1, a.sampling == SAMPLING_DEBUG ? 0x64 : a.sampling == SAMPLING_ACCEPT ? 0x31 : 0x30);
    pos += 2;
    if (a.parentAt != 0) {
      putByte(pos, CHAR_DASH);
      copyBytes(pos + 1, a.parentAt, 16);
    }
  }
  return s;
}

/** X-B3-TraceId value for a into out (b3TraceWidth(a) bytes). */
export function renderB3TraceId(a: ParsedContext, out: ByteBuffer): usize {
  const width = b3TraceWidth(a);
  const s = out.take(<usize>width);
  if (s != 0) writeTraceId(s, a, width);
  return s;
}

/** True when the len bytes at p already equal the X-B3-TraceId that renderB3TraceId(a) would produce. */
export function b3TraceIdEquals(p: usize, len: i32, a: ParsedContext): bool {
  const width = b3TraceWidth(a);
  if (len != width) return false;
  const skip = 32 - width; // compare against the 128-bit form's last `width` bytes
  for (let i = 0; i < width; i++) {
    if (byteAt(p + <usize>i) != a.traceByte128(skip + i)) return false;
  }
  return true;
}

/** `X-B3-Sampled` / `X-B3-Flags` values this module writes (constants). */
export const B3_ONE: ByteString = new ByteString("1");
export const B3_ZERO: ByteString = new ByteString("0");

/** X-B3-Sampled value for a sampling state ("1" / "0"), or null when the header must be absent (defer, debug). */
export function b3SampledValue(sampling: i32): ByteString | null {
  if (sampling == SAMPLING_ACCEPT) return B3_ONE;
  if (sampling == SAMPLING_DENY) return B3_ZERO;
  return null;
}
