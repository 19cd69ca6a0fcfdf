// The parsed view of one trace-context format: addresses of the bytes it came from (the host's
// header block, or a remembered entry), so parsing copies nothing. One instance per format is
// owned by a ContextDecision and reused for every request (@unmanaged: outside the collector's
// graph, never freed).
import { byteAt, copyBytes, rangeEquals } from "./chars";

/** Header not sent. */
export const CTX_ABSENT: i32 = 0;
/** A full trace context (trace ID and span ID). */
export const CTX_VALID: i32 = 1;
/** B3 only: a sampling decision without identifiers (`b3: 0`, `X-B3-Sampled: 1` alone). */
export const CTX_SAMPLING_ONLY: i32 = 2;
/** Sent but breaks its specification: must be removed, never forwarded. */
export const CTX_INVALID: i32 = 3;

/** B3 sampling states; W3C maps onto DENY / ACCEPT only. */
export const SAMPLING_DEFER: i32 = 0;
export const SAMPLING_DENY: i32 = 1;
export const SAMPLING_ACCEPT: i32 = 2;
export const SAMPLING_DEBUG: i32 = 3;

/** Output formats, named as in OTEL_PROPAGATORS; a configuration holds a bit mask of them. */
export const FORMAT_TRACECONTEXT: i32 = 1;
export const FORMAT_B3: i32 = 2;
export const FORMAT_B3MULTI: i32 = 4;
export const FORMAT_ALL: i32 = 7;

/** W3C trace-flags kept when re-emitting: sampled (Level 1) and random (Level 2); others MUST be zero. */
export const W3C_FLAG_SAMPLED: i32 = 0x01;
export const W3C_FLAG_RANDOM: i32 = 0x02;
export const W3C_KEPT_FLAGS: i32 = 0x03;

@unmanaged export class ParsedContext {
  /** FORMAT_* this view was parsed from. */
  format: i32 = 0;
  /** CTX_* */
  status: i32 = CTX_ABSENT;
  /** Trace ID: traceLen (16 or 32) lower-hex bytes at traceAt. */
  traceAt: usize = 0;
  traceLen: i32 = 0;
  /** Span ID (W3C parent-id, B3 SpanId): 16 lower-hex bytes at spanAt. */
  spanAt: usize = 0;
  /** B3 ParentSpanId, when sent: 16 lower-hex bytes at parentAt (0 = none). */
  parentAt: usize = 0;
  /** SAMPLING_* */
  sampling: i32 = SAMPLING_DEFER;
  /** W3C only: the incoming trace-flags masked to W3C_KEPT_FLAGS. */
  w3cFlags: i32 = 0;
  /**
   * False when the header is valid but must be rewritten before it is forwarded:
   * W3C version above 00, reserved flag bits set, surrounding whitespace;
   * B3 multi `X-B3-Sampled: true|false` (any case), a Sampled header beside the debug flag, an
   * X-B3-Flags other than 1; a sampling decision another header overrode (an explicit deny).
   */
  canonical: bool = true;

  constructor(format: i32) {
    this.format = format;
  }

  reset(): void {
    this.status = CTX_ABSENT;
    this.traceAt = 0;
    this.traceLen = 0;
    this.spanAt = 0;
    this.parentAt = 0;
    this.sampling = SAMPLING_DEFER;
    this.w3cFlags = 0;
    this.canonical = true;
  }

  /** Trace ID byte i of the 128-bit form (a 64-bit ID is left-padded with '0'). */
  traceByte128(i: i32): i32 {
    if (this.traceLen == 32) return byteAt(this.traceAt + <usize>i);
    return i < 16 ? 0x30 : byteAt(this.traceAt + <usize>(i - 16));
  }

  /** The W3C sampled bit this decision maps to (accept and debug are sampled). */
  get sampledBit(): bool {
    return this.sampling == SAMPLING_ACCEPT || this.sampling == SAMPLING_DEBUG;
  }
}

/** Writes a's trace ID at width 16 or 32 (64-bit IDs are zero-padded to 32; 32 to 16 keeps the low half). */
export function writeTraceId(s: usize, a: ParsedContext, width: i32): void {
  if (width == a.traceLen) {
    copyBytes(s, a.traceAt, width);
  } else if (width == 32) {
    memory.fill(s, 0x30, 16);
    copyBytes(s + 16, a.traceAt, 16);
  } else {
    copyBytes(s, a.traceAt + 16, 16);
  }
}

/** Same 128-bit trace ID (64-bit IDs compare as their zero-padded form). */
export function sameTraceId(a: ParsedContext, b: ParsedContext): bool {
  if (a.traceLen == b.traceLen) return rangeEquals(a.traceAt, b.traceAt, a.traceLen);
  for (let i = 0; i < 32; i++) {
    if (a.traceByte128(i) != b.traceByte128(i)) return false;
  }
  return true;
}

/** Same span ID (W3C parent-id == B3 SpanId: the caller's span). */
export function sameSpanId(a: ParsedContext, b: ParsedContext): bool {
  return rangeEquals(a.spanAt, b.spanAt, 16);
}

/** Same trace and the same span: the two headers describe one position in one trace. */
export function sameIds(a: ParsedContext, b: ParsedContext): bool {
  return sameTraceId(a, b) && sameSpanId(a, b);
}

/** B3 ParentSpanIds are compatible unless both are sent and differ. */
export function compatibleParents(a: ParsedContext, b: ParsedContext): bool {
  if (a.parentAt == 0 || b.parentAt == 0) return true;
  return rangeEquals(a.parentAt, b.parentAt, 16);
}

/**
 * Same sampling decision. W3C knows only sampled / not sampled ("the caller did not
 * record"); B3 also knows defer and debug. Accept and debug are sampled; deny and defer
 * are W3C 00 (the W3C default for a component that has not decided). So W3C 00 agrees
 * with B3 deny or defer, W3C 01 with accept or debug — which also keeps the headers a
 * B3-deferring request leaves with stable at the next meshtrace hop. Between the two B3
 * forms the states must be equal.
 */
export function sameDecision(x: ParsedContext, a: ParsedContext): bool {
  if (x.format == FORMAT_TRACECONTEXT || a.format == FORMAT_TRACECONTEXT) return x.sampledBit == a.sampledBit;
  return x.sampling == a.sampling;
}

/** x describes the same position in the same trace as the authority a. */
export function agreesWith(x: ParsedContext, a: ParsedContext): bool {
  if (x === a) return true;
  if (x.status != CTX_VALID) return false;
  return sameIds(x, a) && compatibleParents(x, a) && sameDecision(x, a);
}

/**
 * Strict agreement for a B3 form: as agreesWith, but the B3 sampling state must be equal,
 * so that b3 and X-B3-* never tell a B3 receiver two different things. For a W3C authority,
 * decideContext first sets a.sampling to the B3 state the forwarded B3 headers will carry.
 */
export function b3AgreesWith(x: ParsedContext, a: ParsedContext): bool {
  if (x === a) return true;
  if (x.status != CTX_VALID) return false;
  return sameIds(x, a) && compatibleParents(x, a) && x.sampling == a.sampling;
}
