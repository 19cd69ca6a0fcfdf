// Choose one authoritative trace context among traceparent, b3 and X-B3-*, and work out what the
// request's context headers must become so that every configured format is present and agrees
// with it. Pure: reads the header values it is given (addresses and lengths), writes the plan
// into a caller-owned ContextDecision and any new value into a caller-owned ByteBuffer.
import { ByteBuffer, ByteString } from "../proxy-wasm/bytes";
import {
  B3Value, parseB3Multi, parseB3Single, renderB3Single, b3SingleLength, b3TraceWidth, renderB3TraceId, b3TraceIdEquals, b3SampledValue, B3_ONE,
} from "./b3";
import { rangeEquals } from "./chars";
import {
  agreesWith, b3AgreesWith, sameIds, CTX_ABSENT, CTX_INVALID, CTX_SAMPLING_ONLY, CTX_VALID, FORMAT_B3, FORMAT_B3MULTI,
  FORMAT_TRACECONTEXT, ParsedContext, SAMPLING_DEBUG, SAMPLING_DENY,
} from "./context";
import { parseTraceparent, renderTraceparent, TRACEPARENT_LENGTH } from "./traceparent";
import { TracestateScratch, ValueList, validateTracestate, renderWithoutRepeats, withoutRepeatsLength } from "./tracestate";

// Context headers, by index into the input values and the decision.
export const H_TRACEPARENT: i32 = 0;
export const H_TRACESTATE: i32 = 1;
export const H_B3: i32 = 2;
export const H_X_B3_TRACEID: i32 = 3;
export const H_X_B3_SPANID: i32 = 4;
export const H_X_B3_PARENTSPANID: i32 = 5;
export const H_X_B3_SAMPLED: i32 = 6;
export const H_X_B3_FLAGS: i32 = 7;
export const CONTEXT_HEADER_COUNT: i32 = 8;

/**
 * Lower-case name of header h: what the filter reads and writes. (A function, not a global
 * array: a global array would be one more object for every garbage collection to mark.)
 */
export function contextHeaderNameText(h: i32): string {
  switch (h) {
    case H_TRACEPARENT: return "traceparent";
    case H_TRACESTATE: return "tracestate";
    case H_B3: return "b3";
    case H_X_B3_TRACEID: return "x-b3-traceid";
    case H_X_B3_SPANID: return "x-b3-spanid";
    case H_X_B3_PARENTSPANID: return "x-b3-parentspanid";
    case H_X_B3_SAMPLED: return "x-b3-sampled";
    case H_X_B3_FLAGS: return "x-b3-flags";
  }
  return "";
}

/**
 * No context header is valid beyond this length (a maximal tracestate, 32 members of 256-char
 * keys and values, is about 16.5 K): longer input is invalid without being parsed. It also
 * bounds the tracestate list made of several headers.
 */
export const MAX_CONTEXT_VALUE_LENGTH: i32 = 32768;
/** More tracestate headers than this make the list invalid (each one may add list members). */
export const MAX_TRACESTATE_HEADERS: i32 = 64;

/** What to do with one header. */
export const ACTION_KEEP: u8 = 0; // leave as it arrived (or absent)
export const ACTION_SET: u8 = 1; // exactly one entry with the new value
export const ACTION_REMOVE: u8 = 2; // remove

/** Which inputs were invalid (bit mask, for the invalid-header metrics by kind). */
export const INVALID_TRACEPARENT: i32 = 1;
export const INVALID_TRACESTATE: i32 = 2;
export const INVALID_B3: i32 = 4;
export const INVALID_B3MULTI: i32 = 8;

/** Which format the authoritative context came from. */
export const AUTHORITY_NONE: i32 = 0;
export const AUTHORITY_TRACECONTEXT: i32 = FORMAT_TRACECONTEXT;
export const AUTHORITY_B3: i32 = FORMAT_B3;
export const AUTHORITY_B3MULTI: i32 = FORMAT_B3MULTI;
/** The context was not in the request: it came from elsewhere (a remembered context). */
export const AUTHORITY_EXTERNAL: i32 = 8;

/**
 * The context headers of one request as they arrived: the first value of each (address and
 * length), which were repeated, and every tracestate header (one list, in order). @unmanaged:
 * create once and reuse.
 */
@unmanaged export class ContextHeaders {
  present: i32 = 0;
  repeated: i32 = 0;
  /** Longer than MAX_CONTEXT_VALUE_LENGTH (tracestate: all of them together), or too many tracestate headers. */
  oversized: i32 = 0;
  /** Every tracestate header, in order. */
  readonly tracestate: ValueList = new ValueList(MAX_TRACESTATE_HEADERS);
  // first value of each header: 8 bytes per H_* (address, length)
  private readonly first: usize = heap.alloc(<usize>CONTEXT_HEADER_COUNT << 3);
  private tracestateTotal: i32 = 0;

  reset(): void {
    this.present = 0;
    this.repeated = 0;
    this.oversized = 0;
    this.tracestate.count = 0;
    this.tracestateTotal = 0;
  }

  /** Records one header entry h (in map order). */
  add(h: i32, p: usize, n: i32): void {
    const bit = 1 << h;
    if ((this.present & bit) != 0) this.repeated |= bit;
    if (h == H_TRACESTATE) {
      this.tracestateTotal += n + (this.tracestate.count > 0 ? 1 : 0);
      if (this.tracestateTotal > MAX_CONTEXT_VALUE_LENGTH || !this.tracestate.push(p, n)) this.oversized |= bit;
      this.present |= bit;
      return;
    }
    if ((this.present & bit) != 0) return;
    this.present |= bit;
    store<u32>(this.first + (<usize>h << 3), <u32>p);
    store<i32>(this.first + (<usize>h << 3), n, 4);
    if (n > MAX_CONTEXT_VALUE_LENGTH) this.oversized |= bit;
  }

  /** Address and length of the first value of header h (meaningful when has(h)). */
  @inline at(h: i32): usize { return <usize>load<u32>(this.first + (<usize>h << 3)); }
  @inline len(h: i32): i32 { return load<i32>(this.first + (<usize>h << 3), 4); }
  @inline has(h: i32): bool { return (this.present & (1 << h)) != 0; }
  @inline isRepeated(h: i32): bool { return (this.repeated & (1 << h)) != 0; }
  @inline isOversized(h: i32): bool { return (this.oversized & (1 << h)) != 0; }
}

/**
 * The plan for one request. Allocate one per root context and pass it to every decideContext
 * call: it holds its own parse scratch, so a call allocates nothing (@unmanaged: create once).
 */
@unmanaged export class ContextDecision {
  // per H_*: action (u8 at +0), value address (+4), value length (+8); 12 bytes each
  private readonly table: usize = heap.alloc(<usize>CONTEXT_HEADER_COUNT * 12);
  /** INVALID_* bits of the inputs that broke their specification (and are removed). */
  invalid: i32 = 0;
  /** A header of one format was written from a context that arrived in another. */
  converted: bool = false;
  /** AUTHORITY_*: where the context that was continued came from. */
  authority: i32 = AUTHORITY_NONE;
  /** An explicit B3 deny overrode the authority's own sampling decision. */
  denied: bool = false;

  // parse scratch, reused
  readonly tp: ParsedContext = new ParsedContext(FORMAT_TRACECONTEXT);
  readonly b3: ParsedContext = new ParsedContext(FORMAT_B3);
  readonly multi: ParsedContext = new ParsedContext(FORMAT_B3MULTI);
  readonly tracestateScratch: TracestateScratch = new TracestateScratch();
  private readonly multiTraceId: B3Value = new B3Value();
  private readonly multiSpanId: B3Value = new B3Value();
  private readonly multiParentSpanId: B3Value = new B3Value();
  private readonly multiSampled: B3Value = new B3Value();
  private readonly multiFlags: B3Value = new B3Value();

  reset(): void {
    for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) store<u8>(this.table + <usize>h * 12, ACTION_KEEP);
    this.invalid = 0;
    this.converted = false;
    this.authority = AUTHORITY_NONE;
    this.denied = false;
  }

  /** ACTION_* for header h. */
  @inline action(h: i32): u8 { return load<u8>(this.table + <usize>h * 12); }
  /** The new value of header h where action(h) == ACTION_SET. */
  @inline valueAt(h: i32): usize { return <usize>load<u32>(this.table + <usize>h * 12, 4); }
  @inline valueLen(h: i32): i32 { return load<i32>(this.table + <usize>h * 12, 8); }

  /** True when at least one header must change. */
  get changes(): bool {
    for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) {
      if (this.action(h) != ACTION_KEEP) return true;
    }
    return false;
  }

  /** The context that is continued (null when none or external). */
  get authorityContext(): ParsedContext | null {
    if (this.authority == AUTHORITY_TRACECONTEXT) return this.tp;
    if (this.authority == AUTHORITY_B3) return this.b3;
    if (this.authority == AUTHORITY_B3MULTI) return this.multi;
    return null;
  }

  set(h: i32, p: usize, n: i32): void {
    const e = this.table + <usize>h * 12;
    store<u8>(e, ACTION_SET);
    store<u32>(e, <u32>p, 4);
    store<i32>(e, n, 8);
  }

  /** Removes a header if it arrived (an absent header needs no host call). */
  removeIfPresent(input: ContextHeaders, h: i32): void {
    if (input.has(h)) store<u8>(this.table + <usize>h * 12, ACTION_REMOVE);
  }

  /** Sets h to exactly `want` (null = must be absent), leaving it alone when it already is so. */
  setIfDifferent(input: ContextHeaders, h: i32, want: ByteString | null): void {
    if (want === null) {
      this.removeIfPresent(input, h);
      return;
    }
    const w = changetype<ByteString>(want);
    if (!input.has(h) || input.isRepeated(h) || !w.equals(input.at(h), input.len(h))) this.set(h, w.ptr, w.len);
  }

  /** Parses the X-B3-* headers (the first value of each). */
  parseMulti(input: ContextHeaders): void {
    parseB3Multi(
      multiValue(input, H_X_B3_TRACEID, this.multiTraceId), multiValue(input, H_X_B3_SPANID, this.multiSpanId),
      multiValue(input, H_X_B3_PARENTSPANID, this.multiParentSpanId), multiValue(input, H_X_B3_SAMPLED, this.multiSampled),
      multiValue(input, H_X_B3_FLAGS, this.multiFlags), this.multi,
    );
  }
}

function multiValue(input: ContextHeaders, h: i32, v: B3Value): B3Value {
  v.present = input.has(h);
  v.at = input.at(h);
  v.len = input.len(h);
  return v;
}

/**
 * Decides the context headers of one request.
 *
 * formats: FORMAT_* bit mask of the configured output formats. New values are written into `arena`.
 *
 * Rules:
 * 1. Each format is parsed by its specification; an invalid one is reported in `invalid` and
 *    removed. A repeated traceparent is invalid (the W3C test suite expects the trace to
 *    restart); of a repeated b3 or X-B3-* header the first value counts (as brave and
 *    OpenTelemetry read them) and only it is forwarded; repeated tracestate headers are one list.
 * 2. Authority: a valid traceparent, else a full b3 context, else a full X-B3-* context.
 * 3. No authority: nothing else changes (Envoy's tracer starts the trace); tracestate is removed,
 *    because without a valid traceparent it must not be parsed or forwarded.
 * 4. An explicit deny is never turned into an accept: a `b3` or `X-B3-Sampled` deny that carries
 *    the authority's IDs, or carries no IDs (`b3: 0`, a lone `X-B3-Sampled: 0`), makes the
 *    continued context unsampled (see explicitlyDenied).
 * 5. With an authority, for each format: a valid header that agrees with it (same trace ID, same
 *    span ID = W3C parent-id, compatible B3 ParentSpanId, same sampling decision — and between
 *    the two B3 forms the same B3 sampling state, see b3AgreesWith) is kept — rewritten only
 *    where it is valid but not canonical; otherwise a configured format is written from the
 *    authority and an unconfigured one is removed if it arrived. Sampling-only B3 headers never
 *    agree with a full context (they would restart the trace in B3 receivers).
 * 6. tracestate is kept only beside a valid traceparent that is the authority (members whose key
 *    repeats dropped); when the traceparent is synthesised from B3 an arriving tracestate is
 *    dropped: it belongs to no traceparent we forward.
 */
export function decideContext(input: ContextHeaders, formats: i32, out: ContextDecision, arena: ByteBuffer): ContextDecision {
  out.reset();
  const tp = out.tp;
  const b3 = out.b3;
  const multi = out.multi;
  if (input.isOversized(H_TRACEPARENT) || input.isRepeated(H_TRACEPARENT)) markInvalid(tp);
  else parseTraceparent(input.has(H_TRACEPARENT), input.at(H_TRACEPARENT), input.len(H_TRACEPARENT), tp);
  if (input.isOversized(H_B3)) markInvalid(b3);
  else parseB3Single(input.has(H_B3), input.at(H_B3), input.len(H_B3), b3);
  if ((input.oversized & MULTI_BITS) != 0) markInvalid(multi);
  else out.parseMulti(input);
  if (tp.status == CTX_INVALID) out.invalid |= INVALID_TRACEPARENT;
  if (b3.status == CTX_INVALID) out.invalid |= INVALID_B3;
  if (multi.status == CTX_INVALID) out.invalid |= INVALID_B3MULTI;

  // tracestate: parsed only beside a valid traceparent (W3C: never after a traceparent failure)
  if (input.has(H_TRACESTATE)) {
    let keep = false;
    if (tp.status == CTX_VALID) {
      const scratch = out.tracestateScratch;
      keep = !input.isOversized(H_TRACESTATE) &&
        validateTracestate(input.tracestate, scratch) == CTX_VALID;
      if (!keep) out.invalid |= INVALID_TRACESTATE;
      else if (scratch.repeats > 0) out.set(H_TRACESTATE, renderWithoutRepeats(scratch, arena), withoutRepeatsLength(scratch));
    }
    if (!keep) out.removeIfPresent(input, H_TRACESTATE);
  }

  let a: ParsedContext | null = null;
  if (tp.status == CTX_VALID) { a = tp; out.authority = AUTHORITY_TRACECONTEXT; }
  else if (b3.status == CTX_VALID) { a = b3; out.authority = AUTHORITY_B3; }
  else if (multi.status == CTX_VALID) { a = multi; out.authority = AUTHORITY_B3MULTI; }

  if (a === null) {
    if (tp.status == CTX_INVALID) out.removeIfPresent(input, H_TRACEPARENT);
    if (b3.status == CTX_INVALID) out.removeIfPresent(input, H_B3);
    if (multi.status == CTX_INVALID) removeMulti(input, out);
    else if (multi.status == CTX_SAMPLING_ONLY && !multi.canonical) {
      // a lone legacy `X-B3-Sampled: true|false` (or ignored flags) is forwarded too: B3 says to
      // accept those but emit only 1 / 0
      fixB3MultiSampling(input, multi.sampling, out);
    }
    keepFirstOfRepeatedB3(input, out);
    return out;
  }
  continueContext(input, formats, changetype<ParsedContext>(a), out, arena);
  return out;
}

/**
 * Makes every configured format carry the authority `a` (rules 4–5 of decideContext). `a` is one
 * of out's parsed formats, or a context from elsewhere (healing: out.authority is then
 * AUTHORITY_EXTERNAL and no header of the request agrees with it).
 */
export function continueContext(input: ContextHeaders, formats: i32, a: ParsedContext, out: ContextDecision, arena: ByteBuffer): void {
  const tp = out.tp;
  if (a === tp) {
    // W3C has two sampling states, B3 four. The B3 headers we forward must all carry one
    // state compatible with the traceparent: the state of a B3 form that already agrees
    // (the single header first: B3 receivers prefer it), else accept / deny.
    // Its ParentSpanId (W3C has none) is adopted too, so both B3 forms name the same parent.
    if (agreesWith(out.b3, tp)) adoptB3State(tp, out.b3);
    else if (agreesWith(out.multi, tp)) adoptB3State(tp, out.multi);
  }
  if (a.sampling != SAMPLING_DENY && (explicitlyDenied(out.b3, a) || explicitlyDenied(out.multi, a))) {
    a.sampling = SAMPLING_DENY;
    a.canonical = false;
    out.denied = true;
  }
  decideTraceparent(input, formats, a, out, arena);
  decideB3Single(input, formats, a, out, arena);
  decideB3Multi(input, formats, a, out, arena);
  keepFirstOfRepeatedB3(input, out);
}

const MULTI_BITS: i32 = 0xf8; // H_X_B3_TRACEID .. H_X_B3_FLAGS

function markInvalid(c: ParsedContext): void {
  c.reset();
  c.status = CTX_INVALID;
}

/**
 * The deny precedence (docs/filter.md): a B3 header that says "do not sample" wins over an
 * accept elsewhere, when it speaks about the same request — it carries the authority's trace
 * and span IDs, or no IDs at all (`b3: 0`, a lone `X-B3-Sampled: 0`). A deny with other IDs
 * belongs to another trace and is discarded with its header.
 */
function explicitlyDenied(x: ParsedContext, a: ParsedContext): bool {
  if (x === a || x.sampling != SAMPLING_DENY) return false;
  return x.status == CTX_SAMPLING_ONLY || (x.status == CTX_VALID && sameIds(x, a));
}

function adoptB3State(tp: ParsedContext, from: ParsedContext): void {
  tp.sampling = from.sampling;
  tp.parentAt = from.parentAt;
}

function removeMulti(input: ContextHeaders, out: ContextDecision): void {
  for (let h = H_X_B3_TRACEID; h <= H_X_B3_FLAGS; h++) out.removeIfPresent(input, h);
}

function fixB3MultiSampling(input: ContextHeaders, sampling: i32, out: ContextDecision): void {
  out.setIfDifferent(input, H_X_B3_SAMPLED, b3SampledValue(sampling));
  out.setIfDifferent(input, H_X_B3_FLAGS, sampling == SAMPLING_DEBUG ? B3_ONE : null);
}

/** b3 and X-B3-* headers that are kept but arrived more than once: only the first value goes on. */
function keepFirstOfRepeatedB3(input: ContextHeaders, out: ContextDecision): void {
  if ((input.repeated & ~((1 << H_TRACEPARENT) | (1 << H_TRACESTATE))) == 0) return;
  for (let h = H_B3; h <= H_X_B3_FLAGS; h++) {
    if (input.isRepeated(h) && out.action(h) == ACTION_KEEP) out.set(h, input.at(h), input.len(h));
  }
}

function decideTraceparent(input: ContextHeaders, formats: i32, a: ParsedContext, out: ContextDecision, arena: ByteBuffer): void {
  if (out.tp === a) {
    // the authority itself: forwarded as it came unless it must be downgraded to version 00,
    // cleared of reserved flags, stripped of whitespace, or carry an overriding deny
    if (!a.canonical) out.set(H_TRACEPARENT, renderTraceparent(a, arena), TRACEPARENT_LENGTH);
    return;
  }
  if ((formats & FORMAT_TRACECONTEXT) != 0) {
    out.set(H_TRACEPARENT, renderTraceparent(a, arena), TRACEPARENT_LENGTH);
    out.converted = true;
  } else {
    out.removeIfPresent(input, H_TRACEPARENT);
  }
}

function decideB3Single(input: ContextHeaders, formats: i32, a: ParsedContext, out: ContextDecision, arena: ByteBuffer): void {
  const b3 = out.b3;
  if (b3AgreesWith(b3, a) && b3.canonical) return;
  if ((formats & FORMAT_B3) != 0 || b3 === a) {
    out.set(H_B3, renderB3Single(a, arena), b3SingleLength(a));
    if (b3 !== a) out.converted = true;
  } else {
    out.removeIfPresent(input, H_B3);
  }
}

function decideB3Multi(input: ContextHeaders, formats: i32, a: ParsedContext, out: ContextDecision, arena: ByteBuffer): void {
  const multi = out.multi;
  if (b3AgreesWith(multi, a)) {
    // legacy true/false, ignored flags, Sampled beside the debug flag, an overriding deny:
    // only X-B3-Sampled and X-B3-Flags change
    if (!multi.canonical) fixB3MultiSampling(input, a.sampling, out);
    return;
  }
  if ((formats & FORMAT_B3MULTI) == 0) {
    if (multi.status != CTX_ABSENT) removeMulti(input, out);
    return;
  }
  out.converted = true;
  // header by header, so a set that differs only in its sampling state costs one write
  if (!input.has(H_X_B3_TRACEID) || !b3TraceIdEquals(input.at(H_X_B3_TRACEID), input.len(H_X_B3_TRACEID), a)) {
    out.set(H_X_B3_TRACEID, renderB3TraceId(a, arena), b3TraceWidth(a));
  }
  setId16(input, H_X_B3_SPANID, a.spanAt, out);
  if (a.parentAt == 0) out.removeIfPresent(input, H_X_B3_PARENTSPANID);
  else setId16(input, H_X_B3_PARENTSPANID, a.parentAt, out);
  fixB3MultiSampling(input, a.sampling, out);
}

/** Sets header h to the 16-byte ID at `id` unless it already is exactly that (the ID bytes are not copied). */
function setId16(input: ContextHeaders, h: i32, id: usize, out: ContextDecision): void {
  if (input.has(h) && input.len(h) == 16 && rangeEquals(input.at(h), id, 16)) return;
  out.set(h, id, 16);
}
