// Choose one authoritative trace context among traceparent, b3 and X-B3-*, and
// work out what the request's context headers must become so that every
// configured format is present and agrees with it. Pure: reads the header
// values it is given, writes the plan into a caller-owned ContextDecision.
import { parseB3Multi, parseB3Single, renderB3Single, renderB3TraceId, b3TraceIdEquals, renderId16, b3SampledValue, B3_ONE } from "./b3";
import { rangeEquals } from "./chars";
import {
  agreesWith, b3AgreesWith, CTX_ABSENT, CTX_INVALID, CTX_SAMPLING_ONLY, CTX_VALID, FORMAT_B3, FORMAT_B3MULTI, FORMAT_TRACECONTEXT,
  ParsedContext, SAMPLING_DEBUG,
} from "./context";
import { parseTraceparent, renderTraceparent } from "./traceparent";
import { TracestateScratch, validateTracestate } from "./tracestate";

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

/** Lower-case names, in H_* order: what the filter reads and writes. */
export const CONTEXT_HEADER_NAMES: StaticArray<string> = [
  "traceparent", "tracestate", "b3",
  "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags",
];

/** What to do with one header. */
export const ACTION_KEEP: u8 = 0; // leave as it arrived (or absent)
export const ACTION_SET: u8 = 1; // replace (or add) with values[i]
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

/**
 * The plan for one request. Allocate one per root context and pass it to every
 * decideContext call: it holds its own parse scratch, so a call allocates only
 * the header values it has to SET.
 */
export class ContextDecision {
  /** ACTION_* per header, indexed by H_*. */
  actions: StaticArray<u8> = new StaticArray<u8>(CONTEXT_HEADER_COUNT);
  /** The new value where actions[i] == ACTION_SET, else null. */
  values: StaticArray<string | null> = new StaticArray<string | null>(CONTEXT_HEADER_COUNT);
  /** INVALID_* bits of the inputs that broke their specification (and are removed). */
  invalid: i32 = 0;
  /** A header of one format was written from a context that arrived in another. */
  converted: bool = false;
  /** AUTHORITY_*: where the context that was continued came from. */
  authority: i32 = AUTHORITY_NONE;

  // parse scratch, reused
  tp: ParsedContext = new ParsedContext(FORMAT_TRACECONTEXT);
  b3: ParsedContext = new ParsedContext(FORMAT_B3);
  multi: ParsedContext = new ParsedContext(FORMAT_B3MULTI);
  tracestateScratch: TracestateScratch = new TracestateScratch();

  reset(): void {
    for (let i = 0; i < CONTEXT_HEADER_COUNT; i++) {
      unchecked((this.actions[i] = ACTION_KEEP));
      unchecked((this.values[i] = null));
    }
    this.invalid = 0;
    this.converted = false;
    this.authority = AUTHORITY_NONE;
  }

  /** True when at least one header must change (the filter can skip all writes otherwise). */
  get changes(): bool {
    for (let i = 0; i < CONTEXT_HEADER_COUNT; i++) {
      if (unchecked(this.actions[i]) != ACTION_KEEP) return true;
    }
    return false;
  }

  set(h: i32, value: string): void {
    unchecked((this.actions[h] = ACTION_SET));
    unchecked((this.values[h] = value));
  }

  /** Removes a header if it arrived (an absent header needs no host call). */
  removeIfPresent(headers: StaticArray<string | null>, h: i32): void {
    if (unchecked(headers[h]) !== null) {
      unchecked((this.actions[h] = ACTION_REMOVE));
      unchecked((this.values[h] = null));
    }
  }

  /** Sets h to want (null = must be absent), leaving it alone when it already is so. */
  setIfDifferent(headers: StaticArray<string | null>, h: i32, want: string | null): void {
    const have = unchecked(headers[h]);
    if (want === null) {
      this.removeIfPresent(headers, h);
    } else if (have === null || have != want) {
      this.set(h, want);
    }
  }
}

/** Equal 16-char ID: value is exactly src[off, off+16). */
function id16Equals(value: string | null, src: string, off: i32): bool {
  if (value === null) return false;
  const v = value;
  return v.length == 16 && rangeEquals(v, 0, src, off, 16);
}

/**
 * Decides the context headers of one request.
 *
 * headers: the raw values indexed by H_* (null = not sent). tracestate must be every tracestate
 *   header joined with ","; any other header that arrived more than once should be passed joined
 *   with "," too, which makes it invalid (a duplicated traceparent restarts the trace, as the W3C
 *   test suite expects).
 * formats: FORMAT_* bit mask of the configured output formats.
 *
 * Rules:
 * 1. Each format is parsed by its specification; an invalid one is reported in `invalid` and removed.
 * 2. Authority: a valid traceparent, else a full b3 context, else a full X-B3-* context.
 * 3. No authority: nothing else changes (Envoy's tracer starts the trace); tracestate is removed,
 *    because without a valid traceparent it must not be parsed or forwarded.
 * 4. With an authority, for each format: a valid header that agrees with it (same trace ID, same
 *    span ID = W3C parent-id, compatible B3 ParentSpanId, same sampling decision — and between
 *    the two B3 forms the same B3 sampling state, see b3AgreesWith) is kept —
 *    rewritten only where it is valid but not canonical; otherwise a configured format is
 *    written from the authority and an unconfigured one is removed if it arrived.
 *    Sampling-only B3 headers never agree with a full context (they would restart the trace
 *    in B3 receivers).
 * 5. tracestate is kept only beside a valid traceparent that is the authority; when the
 *    traceparent is synthesised from B3 an arriving tracestate is dropped: it belongs to no
 *    traceparent we forward, and W3C says to clean up tracestate when the trace restarts.
 */
export function decideContext(headers: StaticArray<string | null>, formats: i32, out: ContextDecision): ContextDecision {
  out.reset();
  if (headers.length < CONTEXT_HEADER_COUNT) return out;
  const tp = out.tp;
  const b3 = out.b3;
  const multi = out.multi;
  parseTraceparent(unchecked(headers[H_TRACEPARENT]), tp);
  parseB3Single(unchecked(headers[H_B3]), b3);
  parseB3Multi(
    unchecked(headers[H_X_B3_TRACEID]), unchecked(headers[H_X_B3_SPANID]), unchecked(headers[H_X_B3_PARENTSPANID]),
    unchecked(headers[H_X_B3_SAMPLED]), unchecked(headers[H_X_B3_FLAGS]), multi,
  );
  if (tp.status == CTX_INVALID) out.invalid |= INVALID_TRACEPARENT;
  if (b3.status == CTX_INVALID) out.invalid |= INVALID_B3;
  if (multi.status == CTX_INVALID) out.invalid |= INVALID_B3MULTI;

  // tracestate: parsed only beside a valid traceparent (W3C: never after a traceparent failure)
  const tracestate = unchecked(headers[H_TRACESTATE]);
  if (tracestate !== null) {
    let keep = false;
    if (tp.status == CTX_VALID) {
      keep = validateTracestate(tracestate, out.tracestateScratch) == CTX_VALID;
      if (!keep) out.invalid |= INVALID_TRACESTATE;
    }
    if (!keep) out.removeIfPresent(headers, H_TRACESTATE);
  }

  let a: ParsedContext | null = null;
  if (tp.status == CTX_VALID) { a = tp; out.authority = AUTHORITY_TRACECONTEXT; }
  else if (b3.status == CTX_VALID) { a = b3; out.authority = AUTHORITY_B3; }
  else if (multi.status == CTX_VALID) { a = multi; out.authority = AUTHORITY_B3MULTI; }

  if (a === null) {
    if (tp.status == CTX_INVALID) out.removeIfPresent(headers, H_TRACEPARENT);
    if (b3.status == CTX_INVALID) out.removeIfPresent(headers, H_B3);
    if (multi.status == CTX_INVALID) removeMulti(headers, out);
    else if (multi.status == CTX_SAMPLING_ONLY && !multi.canonical) {
      // a lone legacy `X-B3-Sampled: true|false` (or a Sampled contradicting the debug flag) is
      // forwarded too: B3 says to accept those but emit only 1 / 0
      out.setIfDifferent(headers, H_X_B3_SAMPLED, b3SampledValue(multi.sampling));
    }
    return out;
  }
  const auth = changetype<ParsedContext>(a);
  if (auth === tp) {
    // W3C has two sampling states, B3 four. The B3 headers we forward must all carry one
    // state compatible with the traceparent: the state of a B3 form that already agrees
    // (the single header first: B3 receivers prefer it), else accept / deny.
    // Its ParentSpanId (W3C has none) is adopted too, so both B3 forms name the same parent.
    if (agreesWith(b3, tp)) adoptB3State(tp, b3);
    else if (agreesWith(multi, tp)) adoptB3State(tp, multi);
  }
  decideTraceparent(headers, formats, auth, out);
  decideB3Single(headers, formats, auth, out);
  decideB3Multi(headers, formats, auth, out);
  return out;
}

function adoptB3State(tp: ParsedContext, from: ParsedContext): void {
  tp.sampling = from.sampling;
  tp.parentSrc = from.parentSrc;
  tp.parentOff = from.parentOff;
}

function removeMulti(headers: StaticArray<string | null>, out: ContextDecision): void {
  for (let h = H_X_B3_TRACEID; h <= H_X_B3_FLAGS; h++) out.removeIfPresent(headers, h);
}

function decideTraceparent(headers: StaticArray<string | null>, formats: i32, a: ParsedContext, out: ContextDecision): void {
  const tp = out.tp;
  if (tp === a) {
    // the authority itself: forwarded as it came unless it must be downgraded to version 00,
    // cleared of reserved flags or stripped of whitespace
    if (!tp.canonical) out.set(H_TRACEPARENT, renderTraceparent(a));
    return;
  }
  if ((formats & FORMAT_TRACECONTEXT) != 0) {
    out.set(H_TRACEPARENT, renderTraceparent(a));
    out.converted = true;
  } else {
    out.removeIfPresent(headers, H_TRACEPARENT);
  }
}

function decideB3Single(headers: StaticArray<string | null>, formats: i32, a: ParsedContext, out: ContextDecision): void {
  const b3 = out.b3;
  if (b3AgreesWith(b3, a)) return; // always canonical when valid
  if ((formats & FORMAT_B3) != 0) {
    out.set(H_B3, renderB3Single(a));
    out.converted = true;
  } else {
    out.removeIfPresent(headers, H_B3);
  }
}

function decideB3Multi(headers: StaticArray<string | null>, formats: i32, a: ParsedContext, out: ContextDecision): void {
  const multi = out.multi;
  if (b3AgreesWith(multi, a)) {
    if (!multi.canonical) {
      // legacy true/false, or Sampled beside the debug flag: only X-B3-Sampled changes
      out.setIfDifferent(headers, H_X_B3_SAMPLED, b3SampledValue(multi.sampling));
    }
    return;
  }
  if ((formats & FORMAT_B3MULTI) == 0) {
    if (multi.status != CTX_ABSENT) removeMulti(headers, out);
    return;
  }
  out.converted = true;
  // header by header, so a set that differs only in its sampling state costs one write
  if (!b3TraceIdEquals(unchecked(headers[H_X_B3_TRACEID]), a)) out.set(H_X_B3_TRACEID, renderB3TraceId(a));
  if (!id16Equals(unchecked(headers[H_X_B3_SPANID]), a.spanSrc, a.spanOff)) out.set(H_X_B3_SPANID, renderId16(a.spanSrc, a.spanOff));
  const parent = a.parentSrc;
  if (parent === null) {
    out.removeIfPresent(headers, H_X_B3_PARENTSPANID);
  } else if (!id16Equals(unchecked(headers[H_X_B3_PARENTSPANID]), parent, a.parentOff)) {
    out.set(H_X_B3_PARENTSPANID, renderId16(parent, a.parentOff));
  }
  out.setIfDifferent(headers, H_X_B3_SAMPLED, b3SampledValue(a.sampling));
  out.setIfDifferent(headers, H_X_B3_FLAGS, a.sampling == SAMPLING_DEBUG ? B3_ONE : null);
}
