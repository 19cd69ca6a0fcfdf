// B3 propagation (openzipkin/b3-propagation): the single `b3` header and the X-B3-* headers.
// IDs are lower-hex only, as the B3 specification writes them; an all-zero ID is invalid.
import { CHAR_DASH, charAt, isLowerHexRange, isZeroRange, allocString, putChar, copyChars } from "./chars";
import {
  CTX_INVALID, CTX_SAMPLING_ONLY, CTX_VALID, FORMAT_TRACECONTEXT, ParsedContext,
  SAMPLING_ACCEPT, SAMPLING_DEBUG, SAMPLING_DEFER, SAMPLING_DENY,
} from "./context";

/** `X-B3-Sampled` / `X-B3-Flags` values rendered by this module (static strings: no allocation). */
export const B3_ONE: string = "1";
export const B3_ZERO: string = "0";

// @ts-ignore: decorator
@inline function isTraceIdAt(v: string, off: i32, len: i32): bool {
  return (len == 16 || len == 32) && isLowerHexRange(v, off, len) && !isZeroRange(v, off, len);
}

// @ts-ignore: decorator
@inline function isSpanIdAt(v: string, off: i32): bool {
  return isLowerHexRange(v, off, 16) && !isZeroRange(v, off, 16);
}

/** Sampling state char of the single header: 0 deny, 1 accept, d debug; -1 otherwise. */
function singleSampling(c: i32): i32 {
  if (c == 0x30) return SAMPLING_DENY;
  if (c == 0x31) return SAMPLING_ACCEPT;
  if (c == 0x64) return SAMPLING_DEBUG;
  return -1;
}

/**
 * Parses `b3: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]` or the sampling-only forms
 * `b3: 0` (deny), `b3: 1` (accept), `b3: d` (debug). TraceId 16 or 32 lower-hex, SpanId and
 * ParentSpanId 16 lower-hex, none all zero; SamplingState one of 0, 1, d.
 */
export function parseB3Single(value: string | null, out: ParsedContext): void {
  out.reset();
  if (value === null) return;
  const v = value;
  const n = v.length;
  out.status = CTX_INVALID;
  if (n == 1) {
    const s = singleSampling(charAt(v, 0));
    if (s < 0) return;
    out.sampling = s;
    out.status = CTX_SAMPLING_ONLY;
    return;
  }
  // trace ID ends at the first dash, which must be at 16 or 32
  let traceLen = 0;
  if (n > 16 && charAt(v, 16) == CHAR_DASH) traceLen = 16;
  else if (n > 32 && charAt(v, 32) == CHAR_DASH) traceLen = 32;
  else return;
  if (!isTraceIdAt(v, 0, traceLen)) return;
  const spanOff = traceLen + 1;
  if (n < spanOff + 16 || !isSpanIdAt(v, spanOff)) return;
  let pos = spanOff + 16;
  let sampling = SAMPLING_DEFER;
  let parentOff = -1;
  if (pos < n) {
    // "-" SamplingState
    if (n < pos + 2 || charAt(v, pos) != CHAR_DASH) return;
    sampling = singleSampling(charAt(v, pos + 1));
    if (sampling < 0) return;
    pos += 2;
    if (pos < n) {
      // "-" ParentSpanId, and nothing after it
      if (n != pos + 17 || charAt(v, pos) != CHAR_DASH || !isSpanIdAt(v, pos + 1)) return;
      parentOff = pos + 1;
    }
  }
  out.status = CTX_VALID;
  out.traceSrc = v;
  out.traceOff = 0;
  out.traceLen = traceLen;
  out.spanSrc = v;
  out.spanOff = spanOff;
  if (parentOff >= 0) {
    out.parentSrc = v;
    out.parentOff = parentOff;
  }
  out.sampling = sampling;
}

/**
 * Parses the X-B3-* headers (null = not sent):
 * - X-B3-TraceId (16 or 32 lower-hex) and X-B3-SpanId (16) are required together;
 * - X-B3-ParentSpanId (16) only beside them;
 * - X-B3-Sampled `1` / `0`, and the legacy `true` / `false` (accepted, but rewritten as 1 / 0);
 * - X-B3-Flags `1` = debug (implies accept), `0` = no flag;
 * - Sampled and/or Flags alone (no IDs) are a valid sampling-only decision.
 * Anything else makes the whole X-B3 set invalid: the headers describe one context.
 */
export function parseB3Multi(
  traceId: string | null, spanId: string | null, parentSpanId: string | null,
  sampled: string | null, flags: string | null, out: ParsedContext,
): void {
  out.reset();
  if (traceId === null && spanId === null && parentSpanId === null && sampled === null && flags === null) return;
  out.status = CTX_INVALID;

  let sampling = SAMPLING_DEFER;
  let canonical = true;
  if (sampled !== null) {
    if (sampled == "1") sampling = SAMPLING_ACCEPT;
    else if (sampled == "0") sampling = SAMPLING_DENY;
    else if (sampled == "true") { sampling = SAMPLING_ACCEPT; canonical = false; }
    else if (sampled == "false") { sampling = SAMPLING_DENY; canonical = false; }
    else return;
  }
  if (flags !== null) {
    if (flags == "1") {
      // Debug implies accept; B3 says not to send Sampled beside it, so only a redundant "1" is canonical.
      if (sampled !== null && sampled != "1") canonical = false;
      sampling = SAMPLING_DEBUG;
    } else if (flags != "0") return;
  }

  if (traceId === null && spanId === null) {
    if (parentSpanId !== null) return;
    out.sampling = sampling;
    out.canonical = canonical;
    out.status = CTX_SAMPLING_ONLY;
    return;
  }
  if (traceId === null || spanId === null) return;
  const t = traceId;
  const s = spanId;
  if (!isTraceIdAt(t, 0, t.length)) return;
  if (s.length != 16 || !isSpanIdAt(s, 0)) return;
  if (parentSpanId !== null) {
    const p = parentSpanId;
    if (p.length != 16 || !isSpanIdAt(p, 0)) return;
    out.parentSrc = p;
    out.parentOff = 0;
  }
  out.status = CTX_VALID;
  out.traceSrc = t;
  out.traceOff = 0;
  out.traceLen = t.length;
  out.spanSrc = s;
  out.spanOff = 0;
  out.sampling = sampling;
  out.canonical = canonical;
}

/** Trace-ID width B3 outputs use for the authority a: a B3 authority keeps its own width, W3C gives 32. */
export function b3TraceWidth(a: ParsedContext): i32 {
  return a.format == FORMAT_TRACECONTEXT ? 32 : a.traceLen;
}

/** Writes a's trace ID at width 16 or 32 (64-bit IDs are zero-padded to 32; 32 to 16 keeps the low half). */
function writeTraceId(s: string, at: i32, a: ParsedContext, width: i32): void {
  if (width == a.traceLen) {
    copyChars(s, at, a.traceSrc, a.traceOff, width);
  } else if (width == 32) {
    for (let i = 0; i < 16; i++) putChar(s, at + i, 0x30);
    copyChars(s, at + 16, a.traceSrc, a.traceOff, 16);
  } else {
    copyChars(s, at, a.traceSrc, a.traceOff + 16, 16);
  }
}

/** `b3` single value for a; the ParentSpanId is written only beside an explicit sampling state. */
export function renderB3Single(a: ParsedContext): string {
  const width = b3TraceWidth(a);
  const hasSampling = a.sampling != SAMPLING_DEFER;
  const parent = a.parentSrc;
  const withParent = hasSampling && parent !== null;
  const len = width + 17 + (hasSampling ? 2 : 0) + (withParent ? 17 : 0);
  const s = allocString(len);
  writeTraceId(s, 0, a, width);
  putChar(s, width, CHAR_DASH);
  copyChars(s, width + 1, a.spanSrc, a.spanOff, 16);
  let pos = width + 17;
  if (hasSampling) {
    putChar(s, pos, CHAR_DASH);
    const c = a.sampling == SAMPLING_DEBUG ? 0x64 : a.sampling == SAMPLING_ACCEPT ? 0x31 : 0x30;
    putChar(s, pos + 1, c);
    pos += 2;
    if (withParent) {
      putChar(s, pos, CHAR_DASH);
      copyChars(s, pos + 1, changetype<string>(parent), a.parentOff, 16);
    }
  }
  return s;
}

/** X-B3-TraceId value for a. */
export function renderB3TraceId(a: ParsedContext): string {
  const width = b3TraceWidth(a);
  const s = allocString(width);
  writeTraceId(s, 0, a, width);
  return s;
}

/** True when value already equals the X-B3-TraceId that renderB3TraceId(a) would produce. */
export function b3TraceIdEquals(value: string | null, a: ParsedContext): bool {
  if (value === null) return false;
  const v = value;
  const width = b3TraceWidth(a);
  if (v.length != width) return false;
  const skip = 32 - width; // compare against the 128-bit form's last `width` chars
  for (let i = 0; i < width; i++) {
    if (<i32>v.charCodeAt(i) != a.traceChar128(skip + i)) return false;
  }
  return true;
}

/** 16-char substring helper for span / parent IDs (one allocation). */
export function renderId16(src: string, off: i32): string {
  const s = allocString(16);
  copyChars(s, 0, src, off, 16);
  return s;
}

/** X-B3-Sampled value for a sampling state, or null when the header must be absent (defer, debug). */
export function b3SampledValue(sampling: i32): string | null {
  if (sampling == SAMPLING_ACCEPT) return B3_ONE;
  if (sampling == SAMPLING_DENY) return B3_ZERO;
  return null;
}
