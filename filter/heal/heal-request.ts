// Healing applied to one request (issue 11): after the trace-context decision, an inbound (or
// gateway) request with a context remembers it, and the healed trace's alias it carried, under
// its x-request-id; an outbound request with an x-request-id and no valid context gets the
// remembered one, in every configured format, as the context its upstream continues, and the
// healed trace's alias (alias.ts) for the proxy span that cannot continue it. An outbound request
// that has a context of its own keeps it; it gets the alias when its request arrived with one
// (the application forwarded the context or a new one, not the alias header). Requests whose
// x-request-id is not a UUID (Envoy's form) are left alone.
import { PluginConfig } from "../config/index";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND } from "../direction/direction";
import { ByteBuffer } from "../proxy-wasm";
import {
  ContextDecision, ContextHeaders, continueContext, AUTHORITY_NONE, AUTHORITY_EXTERNAL, ACTION_SET, ACTION_REMOVE, H_TRACESTATE,
  FORMAT_TRACECONTEXT, ValueList, writeTraceId,
} from "../tracecontext/index";
import { Healer, LOOKUP_NONE, LOOKUP_MISS, LOOKUP_EXPIRED, LOOKUP_HIT } from "./healer";
import { ALIAS_LENGTH } from "./alias";

/** What healing did to a request. */
export const HEAL_NOTHING: i32 = 0;
export const HEAL_REMEMBERED: i32 = 1;
export const HEAL_HEALED: i32 = 2;
export const HEAL_MISS: i32 = 3;
export const HEAL_EXPIRED: i32 = 4;
/** An outbound request with its own context, of a request whose inbound side carried an alias: the alias goes on. */
export const HEAL_ALIASED: i32 = 5;

/** The tracestate a request forwards as the plan stands (a rewritten one as one value). */
function forwardedTracestate(input: ContextHeaders, ctx: ContextDecision, single: ValueList): ValueList | null {
  const action = ctx.action(H_TRACESTATE);
  if (action == ACTION_REMOVE || !input.has(H_TRACESTATE)) return null;
  if (action != ACTION_SET) return input.tracestate;
  single.count = 0;
  single.push(ctx.valueAt(H_TRACESTATE), ctx.valueLen(H_TRACESTATE));
  return single;
}

const SINGLE: ValueList = new ValueList(1);

/**
 * Remembers or restores the context of one request (its ID: idLen bytes at idAt). Adds the
 * restored context's headers to `ctx`. `aliasAt`: the trusted alias an inbound request carried
 * (32 bytes), or 0. Sets `healer.aliasOut` to the alias the request must carry (32 bytes, valid
 * until healer.release()), or 0. At most one host call.
 */
export function healRequest(
  healer: Healer, config: PluginConfig, direction: i32, idAt: usize, idLen: i32,
  input: ContextHeaders, ctx: ContextDecision, arena: ByteBuffer, aliasAt: usize,
): i32 {
  healer.aliasOut = 0;
  const slots = <u32>config.healSlots;
  if (direction == DIRECTION_INBOUND) {
    const a = ctx.authorityContext;
    if (a === null) return HEAL_NOTHING;
    return healer.remember(idAt, idLen, slots, a, forwardedTracestate(input, ctx, SINGLE), aliasAt) ? HEAL_REMEMBERED : HEAL_NOTHING;
  }
  if (direction != DIRECTION_OUTBOUND) return HEAL_NOTHING;
  const found = healer.lookup(idAt, idLen, slots, <u64>config.healTtlSeconds * 1000);
  if (ctx.authority != AUTHORITY_NONE) {
    // The request keeps its own context; it carries the alias when its inbound side did. Any
    // context: with the Zipkin tracer the context the filter continues (traceparent, the healed
    // trace) and Envoy's span (X-B3-*, the proxy's own trace) differ, so the trace ID cannot tell;
    // the request ID, the same request at the same proxy within heal_ttl_seconds, does.
    const alias = healer.remembered.aliasAt;
    if (found != LOOKUP_HIT || alias == 0) return HEAL_NOTHING;
    healer.aliasOut = alias;
    return HEAL_ALIASED;
  }
  if (found == LOOKUP_NONE) return HEAL_NOTHING;
  if (found == LOOKUP_MISS) return HEAL_MISS;
  if (found == LOOKUP_EXPIRED) return HEAL_EXPIRED;
  const remembered = healer.remembered;
  ctx.authority = AUTHORITY_EXTERNAL;
  continueContext(input, config.propagation, remembered.context, ctx, arena);
  if ((config.propagation & FORMAT_TRACECONTEXT) != 0 && remembered.context.format == FORMAT_TRACECONTEXT && remembered.tracestateLen > 0) {
    ctx.set(H_TRACESTATE, remembered.tracestateAt, remembered.tracestateLen);
  }
  ctx.converted = false; // healed, which is counted as such
  // the alias: the one the remembered request carried, else the remembered context's own trace
  if (remembered.aliasAt != 0) {
    healer.aliasOut = remembered.aliasAt;
  } else {
    const out = arena.take(<usize>ALIAS_LENGTH);
    if (out != 0) {
      writeTraceId(out, remembered.context, ALIAS_LENGTH); // 64-bit IDs zero-padded to 128
      healer.aliasOut = out;
    }
  }
  return HEAL_HEALED;
}
