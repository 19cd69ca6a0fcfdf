// What the filter needs from a request's headers, gathered in one pass over the map fetched with
// one host call: the trace-context values (addresses into the host's block, repeats noted),
// the stamp headers as they arrived (to detect forged or repeated ones) and x-request-id. Names are compared as bytes; nothing is decoded or copied.
import { HeaderMapView, ByteString } from "./proxy-wasm";
import { ContextHeaders, CONTEXT_HEADER_COUNT, contextHeaderNameText } from "./tracecontext/index";

export const REQUEST_ID_HEADER: ByteString = new ByteString("x-request-id");

// The context header names as bytes, by H_*: a table of ByteString addresses (unmanaged, so
// no object for the collector to mark).
const CONTEXT_NAMES: usize = heap.alloc(<usize>CONTEXT_HEADER_COUNT << 2);
for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) store<u32>(CONTEXT_NAMES + (<usize>h << 2), <u32>changetype<usize>(new ByteString(contextHeaderNameText(h))));

/** The context header name h as bytes. */
@inline export function contextHeaderName(h: i32): ByteString {
  return changetype<ByteString>(<usize>load<u32>(CONTEXT_NAMES + (<usize>h << 2)));
}

// Lengths of the names we read: b3 2, tracestate / x-b3-flags 10, traceparent / x-b3-spanid 11,
// x-b3-traceid / x-b3-sampled / x-request-id 12, x-b3-parentspanid 17.
@inline function isFixedNameLength(n: i32): bool {
  return n == 2 || n == 10 || n == 11 || n == 12 || n == 17;
}

/** A header the filter stamps: how often it arrived and where the first one is. */
@unmanaged export class StampSeen {
  count: i32 = 0;
  index: i32 = -1;

  @inline reset(): void {
    this.count = 0;
    this.index = -1;
  }

  @inline add(i: i32): void {
    if (this.count++ == 0) this.index = i;
  }

  /** True when the header arrived exactly once with exactly `want`. */
  isExactly(view: HeaderMapView, want: ByteString): bool {
    return this.count == 1 && want.equals(view.valueAt(this.index), view.valueLen(this.index));
  }
}

/** Per-request findings, reused request after request (@unmanaged: create once). */
@unmanaged export class RequestView {
  readonly context: ContextHeaders = new ContextHeaders();
  readonly kind: StampSeen = new StampSeen();
  readonly direction: StampSeen = new StampSeen();
  /** Index of x-request-id (Envoy keeps it as one entry), or -1. */
  requestIdIndex: i32 = -1;

  read(view: HeaderMapView, kindHeader: ByteString, directionHeader: ByteString): void {
    this.context.reset();
    this.kind.reset();
    this.direction.reset();
    this.requestIdIndex = -1;
    const n = view.count;
    const kindLength = kindHeader.len;
    const directionLength = directionHeader.len;
    for (let i = 0; i < n; i++) {
      // most headers are none of ours: compare lengths before bytes
      const length = view.nameLen(i);
      const stampLength = length == kindLength || length == directionLength;
      if (!stampLength && !isFixedNameLength(length)) continue;
      const name = view.nameAt(i);
      if (stampLength) {
        if (kindHeader.equals(name, length)) { this.kind.add(i); continue; }
        if (directionHeader.equals(name, length)) { this.direction.add(i); continue; }
      }
      if (REQUEST_ID_HEADER.equals(name, length)) {
        if (this.requestIdIndex < 0) this.requestIdIndex = i;
        continue;
      }
      for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) {
        if (contextHeaderName(h).equals(name, length)) {
          this.context.add(h, view.valueAt(i), view.valueLen(i));
          break;
        }
      }
    }
  }
}
