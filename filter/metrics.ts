// The filter's Envoy stats. Defined once per root context (proxy_define_metric at configure
// time), incremented per request only when the event happens: the common request costs one
// increment (its direction).
//
// Names: Envoy stores Wasm-defined stats under its custom namespace `wasmcustom.` and strips
// that prefix in /stats and /stats/prometheus output, so users see `meshtrace_requests_inbound_total`.
// Istio's default stats inclusion list has the prefix `wasm`, which `wasmcustom.*` matches; see
// docs/filter.md for `pilot-agent request GET stats | grep meshtrace` and the inclusion settings.
// The direction and the kind are part of the name (no bootstrap tag-extraction rule is needed).
import { Counter } from "./proxy-wasm";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND } from "./direction/direction";
import { INVALID_TRACEPARENT, INVALID_TRACESTATE, INVALID_B3, INVALID_B3MULTI } from "./tracecontext/index";

export class FilterMetrics {
  readonly requestsInbound: Counter = new Counter("meshtrace_requests_inbound_total");
  readonly requestsOutbound: Counter = new Counter("meshtrace_requests_outbound_total");
  readonly requestsUnknown: Counter = new Counter("meshtrace_requests_unknown_direction_total");
  readonly invalidTraceparent: Counter = new Counter("meshtrace_invalid_traceparent_total");
  readonly invalidTracestate: Counter = new Counter("meshtrace_invalid_tracestate_total");
  readonly invalidB3: Counter = new Counter("meshtrace_invalid_b3_total");
  readonly invalidB3Multi: Counter = new Counter("meshtrace_invalid_b3multi_total");
  readonly contextsConverted: Counter = new Counter("meshtrace_contexts_converted_total");
  readonly requestIdsGenerated: Counter = new Counter("meshtrace_request_ids_generated_total");
  readonly errors: Counter = new Counter("meshtrace_filter_errors_total");

  countRequest(direction: i32): void {
    if (direction == DIRECTION_INBOUND) this.requestsInbound.increment();
    else if (direction == DIRECTION_OUTBOUND) this.requestsOutbound.increment();
    else this.requestsUnknown.increment();
  }

  /** invalid: INVALID_* bit mask of ContextDecision. */
  countInvalid(invalid: i32): void {
    if (invalid == 0) return;
    if ((invalid & INVALID_TRACEPARENT) != 0) this.invalidTraceparent.increment();
    if ((invalid & INVALID_TRACESTATE) != 0) this.invalidTracestate.increment();
    if ((invalid & INVALID_B3) != 0) this.invalidB3.increment();
    if ((invalid & INVALID_B3MULTI) != 0) this.invalidB3Multi.increment();
  }
}
