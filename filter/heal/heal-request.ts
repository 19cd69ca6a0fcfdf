// Healing applied to one request (issue 11): after the trace-context decision, an inbound (or
// gateway) request with a context remembers it under its x-request-id; an outbound request with
// an x-request-id and no valid context gets the remembered one, in every configured format, as
// the context its upstream continues. A request that arrived with a valid context is never
// touched. Requests whose x-request-id is not a UUID (Envoy's form) are left alone.
import { PluginConfig } from "../config/index";
import { DIRECTION_INBOUND, DIRECTION_OUTBOUND } from "../direction/direction";
import { ByteBuffer } from "../proxy-wasm";
import {
  ContextDecision, ContextHeaders, continueContext, AUTHORITY_NONE, AUTHORITY_EXTERNAL, ACTION_SET, ACTION_REMOVE, H_TRACESTATE,
  FORMAT_TRACECONTEXT, ValueList,
} from "../tracecontext/index";
import { Healer, LOOKUP_NONE, LOOKUP_MISS, LOOKUP_EXPIRED } from "./healer";

/** What healing did to a request. */
export const HEAL_NOTHING: i32 = 0;
export const HEAL_REMEMBERED: i32 = 1;
export const HEAL_HEALED: i32 = 2;
export const HEAL_MISS: i32 = 3;
export const HEAL_EXPIRED: i32 = 4;

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
 * restored context's headers to `ctx`. At most one host call.
 */
export function healRequest(
  healer: Healer, config: PluginConfig, direction: i32, idAt: usize, idLen: i32,
  input: ContextHeaders, ctx: ContextDecision, arena: ByteBuffer,
): i32 {
  const slots = <u32>config.healSlots;
  if (direction == DIRECTION_INBOUND) {
    const a = ctx.authorityContext;
    if (a === null) return HEAL_NOTHING;
    return healer.remember(idAt, idLen, slots, a, forwardedTracestate(input, ctx, SINGLE)) ? HEAL_REMEMBERED : HEAL_NOTHING;
  }
  if (direction != DIRECTION_OUTBOUND || ctx.authority != AUTHORITY_NONE) return HEAL_NOTHING;
  const found = healer.lookup(idAt, idLen, slots, <u64>config.healTtlSeconds * 1000);
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
  return HEAL_HEALED;
}
