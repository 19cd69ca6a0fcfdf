// The filter's Envoy stats. Defined once per root context (proxy_define_metric at configure
// time), incremented per request only when the event happens: the common request costs one
// increment (its direction), plus one when a context was converted between formats. Healing's
// counters are kept in the VM and added to Envoy's stats on the root context's once-a-second
// tick (flush): healing may cost at most one host call per request (issue 11), and that is its
// shared-data call. Envoy itself flushes stats to its sinks every 5 s by default.
//
// Names: Envoy stores Wasm-defined stats under its custom namespace `wasmcustom.` and strips
// that prefix in /stats and /stats/prometheus output, so users see `meshtrace_requests_inbound_total`.
// Istio's default stats inclusion list has the prefix `wasm`, which `wasmcustom.*` matches; see
// docs/filter.md for `pilot-agent request GET stats | grep meshtrace` and the inclusion settings.
// The direction and the kind are part of the name (no bootstrap tag-extraction rule is needed).
import { MetricType, defineMetric, incrementMetric } from "./proxy-wasm";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND } from "./direction/direction";
import { INVALID_TRACEPARENT, INVALID_TRACESTATE, INVALID_B3, INVALID_B3MULTI } from "./tracecontext/index";

export const M_REQUESTS_INBOUND: i32 = 0;
export const M_REQUESTS_OUTBOUND: i32 = 1;
export const M_REQUESTS_UNKNOWN: i32 = 2;
export const M_INVALID_TRACEPARENT: i32 = 3;
export const M_INVALID_TRACESTATE: i32 = 4;
export const M_INVALID_B3: i32 = 5;
export const M_INVALID_B3MULTI: i32 = 6;
export const M_CONTEXTS_CONVERTED: i32 = 7;
export const M_REQUEST_IDS_GENERATED: i32 = 8;
export const M_ERRORS: i32 = 9;
export const M_HEAL_HEALED: i32 = 10;
export const M_HEAL_MISSES: i32 = 11;
export const M_HEAL_EXPIRED: i32 = 12;
export const M_HEAL_ALIASED: i32 = 13;
const COUNT: i32 = 14;

/** Counter name of M_* m (docs/filter.md, "Metrics"); a function, not a global array the collector would mark. */
export function metricName(m: i32): string {
  switch (m) {
    case 0: return "meshtrace_requests_inbound_total";
    case 1: return "meshtrace_requests_outbound_total";
    case 2: return "meshtrace_requests_unknown_direction_total";
    case 3: return "meshtrace_invalid_traceparent_total";
    case 4: return "meshtrace_invalid_tracestate_total";
    case 5: return "meshtrace_invalid_b3_total";
    case 6: return "meshtrace_invalid_b3multi_total";
    case 7: return "meshtrace_contexts_converted_total";
    case 8: return "meshtrace_request_ids_generated_total";
    case 9: return "meshtrace_filter_errors_total";
    case 10: return "meshtrace_heal_healed_total";
    case 11: return "meshtrace_heal_misses_total";
    case 12: return "meshtrace_heal_expired_total";
    case 13: return "meshtrace_heal_aliased_total";
  }
  return "";
}



/** The counters' ids (@unmanaged: defined once per root context, never collected). */
@unmanaged export class FilterMetrics {
  // ids only: the names are needed once, at definition
  private readonly ids: usize = heap.alloc(<usize>COUNT << 2);
  // counts not yet added to Envoy's stats (see later / flush)
  private readonly pending: usize = heap.alloc(<usize>COUNT << 2);

  constructor() {
    for (let m = 0; m < COUNT; m++) {
      store<u32>(this.ids + (<usize>m << 2), defineMetric(MetricType.Counter, metricName(m)));
      store<u32>(this.pending + (<usize>m << 2), 0);
    }
  }

  /** One increment of counter m, added to Envoy's stats at the next flush (no host call now). */
  later(m: i32): void {
    const p = this.pending + (<usize>m << 2);
    store<u32>(p, load<u32>(p) + 1);
  }

  /** Adds the counts kept by later() to Envoy's stats (one host call per counter that moved). */
  flush(): void {
    for (let m = 0; m < COUNT; m++) {
      const p = this.pending + (<usize>m << 2);
      const n = load<u32>(p);
      if (n == 0) continue;
      const id = load<u32>(this.ids + (<usize>m << 2));
      if (id != u32.MAX_VALUE) incrementMetric(id, <i64>n);
      store<u32>(p, 0);
    }
  }

  /** One increment of counter m (one host call). */
  increment(m: i32): void {
    const id = load<u32>(this.ids + (<usize>m << 2));
    if (id != u32.MAX_VALUE) incrementMetric(id, 1);
  }

  countRequest(direction: i32): void {
    this.increment(direction == DIRECTION_INBOUND ? M_REQUESTS_INBOUND : direction == DIRECTION_OUTBOUND ? M_REQUESTS_OUTBOUND : M_REQUESTS_UNKNOWN);
  }

  /** invalid: INVALID_* bit mask of ContextDecision. */
  countInvalid(invalid: i32): void {
    if (invalid == 0) return;
    if ((invalid & INVALID_TRACEPARENT) != 0) this.increment(M_INVALID_TRACEPARENT);
    if ((invalid & INVALID_TRACESTATE) != 0) this.increment(M_INVALID_TRACESTATE);
    if ((invalid & INVALID_B3) != 0) this.increment(M_INVALID_B3);
    if ((invalid & INVALID_B3MULTI) != 0) this.increment(M_INVALID_B3MULTI);
  }
}
