// What the filter needs from a request's headers, gathered in one pass over the map fetched
// with one host call: the trace-context values (repeats joined with ","), the stamp headers as
// they arrived (to detect forged or repeated ones) and x-request-id. Values are decoded only
// for the headers named here.
import { HeaderPairs } from "./proxy-wasm";
import { CONTEXT_HEADER_COUNT, CONTEXT_HEADER_NAMES } from "./tracecontext/index";

export const REQUEST_ID_HEADER: string = "x-request-id";

/**
 * No context header is valid beyond this length (a maximal tracestate, 32 members of 256-char
 * keys and values, is about 16.5 K); longer input is replaced by INVALID_MARKER so the parsers
 * never scan it and the header is removed. It also bounds the joined value of repeated headers.
 */
export const MAX_CONTEXT_VALUE_LENGTH: i32 = 32768;
/** A value every context parser rejects (traceparent, tracestate, b3, X-B3-*). */
const INVALID_MARKER: string = "!";

// Lengths of the names we read: b3 2, tracestate / x-b3-flags 10, traceparent / x-b3-spanid 11,
// x-b3-traceid / x-b3-sampled / x-request-id 12, x-b3-parentspanid 17.
@inline function isContextNameLength(n: i32): bool {
  return n == 2 || n == 10 || n == 11 || n == 12 || n == 17;
}

export class RequestView {
  /** Context header values by H_* index; null when not sent. */
  readonly context: StaticArray<string | null> = new StaticArray<string | null>(CONTEXT_HEADER_COUNT);
  kindCount: i32 = 0;
  kindIndex: i32 = -1;
  directionCount: i32 = 0;
  directionIndex: i32 = -1;
  /** First x-request-id value, or null. */
  requestId: string | null = null;

  read(pairs: HeaderPairs, kindHeader: string, directionHeader: string): void {
    for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) unchecked((this.context[h] = null));
    this.kindCount = 0;
    this.kindIndex = -1;
    this.directionCount = 0;
    this.directionIndex = -1;
    this.requestId = null;
    const n = pairs.slotCount;
    const kindLength = kindHeader.length;
    const directionLength = directionHeader.length;
    for (let i = 0; i < n; i++) {
      if (!pairs.isLive(i)) continue;
      // most headers are none of ours: compare lengths before bytes
      const length = pairs.nameByteLength(i);
      if (length != kindLength && length != directionLength && (length < 2 || length > 17 || !isContextNameLength(length))) continue;
      if (pairs.nameIs(i, kindHeader)) {
        if (this.kindCount++ == 0) this.kindIndex = i;
      } else if (pairs.nameIs(i, directionHeader)) {
        if (this.directionCount++ == 0) this.directionIndex = i;
      } else if (pairs.nameIs(i, REQUEST_ID_HEADER)) {
        if (this.requestId === null) this.requestId = pairs.value(i);
      } else {
        for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) {
          if (pairs.nameIs(i, unchecked(CONTEXT_HEADER_NAMES[h]))) {
            this.addContextValue(h, pairs, i);
            break;
          }
        }
      }
    }
  }

  /** True when header `name` arrived exactly once with exactly `want`. */
  static isExactly(pairs: HeaderPairs, count: i32, index: i32, want: string): bool {
    return count == 1 && pairs.valueByteLength(index) == want.length && pairs.value(index) == want;
  }

  // Repeats are joined with ",": right for tracestate (W3C), and it makes a repeated
  // traceparent / b3 / X-B3-* invalid, as it must be.
  private addContextValue(h: i32, pairs: HeaderPairs, i: i32): void {
    const have = unchecked(this.context[h]);
    if (have === INVALID_MARKER) return;
    const length = pairs.valueByteLength(i) + (have !== null ? have.length + 1 : 0);
    if (length > MAX_CONTEXT_VALUE_LENGTH) {
      unchecked((this.context[h] = INVALID_MARKER));
      return;
    }
    const value = pairs.value(i);
    unchecked((this.context[h] = have === null ? value : have + "," + value));
  }
}
