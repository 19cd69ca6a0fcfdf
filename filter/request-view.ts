// What the filter needs from a request's headers, gathered in one pass over the map fetched with
// one host call: the trace-context values (addresses into the host's block, repeats noted),
// the stamp headers as they arrived (to detect forged or repeated ones), the healed stamp, the
// healed trace's alias, x-request-id and whether Envoy left x-forwarded-client-cert on it (the
// request came over mutual TLS, heal/alias.ts). Names are compared as bytes; nothing is decoded
// or copied.
import { HeaderMapView, ByteString } from "./proxy-wasm";
import {
  ContextHeaders, CONTEXT_HEADER_COUNT, contextHeaderNameText, H_B3, H_TRACESTATE, H_X_B3_FLAGS, H_TRACEPARENT, H_X_B3_SPANID,
  H_X_B3_TRACEID, H_X_B3_SAMPLED, H_X_B3_PARENTSPANID,
} from "./tracecontext/index";
import { CLIENT_CERT_HEADER } from "./heal/alias";

export const REQUEST_ID_HEADER: ByteString = new ByteString("x-request-id");
const CLIENT_CERT: ByteString = new ByteString(CLIENT_CERT_HEADER);

// The context header names as bytes, by H_*: a table of ByteString addresses (unmanaged, so
// no object for the collector to mark).
const CONTEXT_NAMES: usize = heap.alloc(<usize>CONTEXT_HEADER_COUNT << 2);
for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) store<u32>(CONTEXT_NAMES + (<usize>h << 2), <u32>changetype<usize>(new ByteString(contextHeaderNameText(h))));

/** The context header name h as bytes. */
@inline export function contextHeaderName(h: i32): ByteString {
  return changetype<ByteString>(<usize>load<u32>(CONTEXT_NAMES + (<usize>h << 2)));
}

/**
 * The context header (H_*) or the request ID (-2) the n-byte name at p is, or -1: decided by its
 * length and one distinguishing byte before the full comparison, since most headers of a
 * request are none of them.
 */
function knownHeader(p: usize, n: i32): i32 {
  let h = -1;
  switch (n) {
    case 2: h = H_B3; break; // b3
    case 10: h = load<u8>(p) == 0x74 ? H_TRACESTATE : H_X_B3_FLAGS; break; // tracestate / x-b3-flags
    case 11: h = load<u8>(p) == 0x74 ? H_TRACEPARENT : H_X_B3_SPANID; break; // traceparent / x-b3-spanid
    case 12: {
      const c = load<u8>(p, 5); // x-b3-[t]raceid / x-b3-[s]ampled / x-re[q]uest-id
      h = c == 0x74 ? H_X_B3_TRACEID : c == 0x73 ? H_X_B3_SAMPLED : REQUEST_ID;
      break;
    }
    case 17: h = H_X_B3_PARENTSPANID; break; // x-b3-parentspanid
    case 23: return CLIENT_CERT.equals(p, n) ? CLIENT_CERT_SEEN : -1; // x-forwarded-client-cert
    default: return -1;
  }
  const name = h == REQUEST_ID ? REQUEST_ID_HEADER : contextHeaderName(h);
  return name.equals(p, n) ? h : -1;
}

const REQUEST_ID: i32 = -2;
const CLIENT_CERT_SEEN: i32 = -3;

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

  /** True when the header arrived exactly once with exactly the len bytes at `at`. */
  isExactly(view: HeaderMapView, at: usize, len: i32): bool {
    return this.count == 1 && view.valueLen(this.index) == len && memory.compare(view.valueAt(this.index), at, <usize>len) == 0;
  }
}

/** Per-request findings, reused request after request (@unmanaged: create once). */
@unmanaged export class RequestView {
  readonly context: ContextHeaders = new ContextHeaders();
  readonly kind: StampSeen = new StampSeen();
  readonly direction: StampSeen = new StampSeen();
  readonly healed: StampSeen = new StampSeen();
  /** The healed trace's alias header (heal/alias.ts). */
  readonly healedTrace: StampSeen = new StampSeen();
  /** Index of x-request-id (Envoy keeps it as one entry), or -1. */
  requestIdIndex: i32 = -1;
  /** Envoy left x-forwarded-client-cert on the request: it came over mutual TLS (an Istio sidecar's inbound listener). */
  clientCert: bool = false;

  read(view: HeaderMapView, kindHeader: ByteString, directionHeader: ByteString, healedHeader: ByteString, healedTraceHeader: ByteString): void {
    this.context.reset();
    this.kind.reset();
    this.direction.reset();
    this.healed.reset();
    this.healedTrace.reset();
    this.requestIdIndex = -1;
    this.clientCert = false;
    const n = view.count;
    const kindLength = kindHeader.len;
    const directionLength = directionHeader.len;
    const healedLength = healedHeader.len;
    const healedTraceLength = healedTraceHeader.len;
    for (let i = 0; i < n; i++) {
      const length = view.nameLen(i);
      const name = view.nameAt(i);
      if (length == kindLength || length == directionLength || length == healedLength || length == healedTraceLength) {
        if (kindHeader.equals(name, length)) { this.kind.add(i); continue; }
        if (directionHeader.equals(name, length)) { this.direction.add(i); continue; }
        if (healedHeader.equals(name, length)) { this.healed.add(i); continue; }
        if (healedTraceHeader.equals(name, length)) { this.healedTrace.add(i); continue; }
      }
      const h = knownHeader(name, length);
      if (h >= 0) this.context.add(h, view.valueAt(i), view.valueLen(i));
      else if (h == REQUEST_ID && this.requestIdIndex < 0) this.requestIdIndex = i;
      else if (h == CLIENT_CERT_SEEN) this.clientCert = true;
    }
  }
}
