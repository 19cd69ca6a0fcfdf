// Test-only entry: exposes the pure filter modules to vitest through
// @assemblyscript/loader (built with --exportRuntime into build/filter-pure.wasm).
// Results come back as JSON text so the tests can compare whole structures.
// Never linked into the Envoy module.
import {
  ParsedContext, parseTraceparent, parseB3Single, parseB3Multi, validateTracestate, TracestateScratch,
  ContextDecision, decideContext, formatUuidV4, CONTEXT_HEADER_COUNT, CONTEXT_HEADER_NAMES,
  FORMAT_TRACECONTEXT, FORMAT_B3, FORMAT_B3MULTI,
} from "../tracecontext/index";
import { parsePluginConfig } from "../config/index";
import { decideDirection, DirectionDecision, directionName, kindName, sourceName } from "../direction/direction";

function q(s: string | null): string {
  if (s === null) return "null";
  const v = s;
  let out = "\"";
  for (let i = 0; i < v.length; i++) {
    const c = <i32>v.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + "\"";
}

function b(v: bool): string {
  return v ? "true" : "false";
}

function statusName(s: i32): string {
  if (s == 0) return "absent";
  if (s == 1) return "valid";
  if (s == 2) return "sampling-only";
  return "invalid";
}

function samplingName(s: i32): string {
  if (s == 1) return "deny";
  if (s == 2) return "accept";
  if (s == 3) return "debug";
  return "defer";
}

function contextJson(c: ParsedContext): string {
  let traceId = "";
  if (c.traceLen > 0) traceId = c.traceSrc.substr(c.traceOff, c.traceLen);
  const spanId = c.status == 1 ? c.spanSrc.substr(c.spanOff, 16) : "";
  const p = c.parentSrc;
  let parent: string | null = null;
  if (p !== null) parent = p.substr(c.parentOff, 16);
  return "{\"status\":" + q(statusName(c.status)) +
    ",\"traceId\":" + q(traceId) + ",\"spanId\":" + q(spanId) + ",\"parentSpanId\":" + q(parent) +
    ",\"sampling\":" + q(samplingName(c.sampling)) + ",\"flags\":" + c.w3cFlags.toString() +
    ",\"canonical\":" + b(c.canonical) + "}";
}

export function tcParseTraceparent(v: string | null): string {
  const c = new ParsedContext(FORMAT_TRACECONTEXT);
  parseTraceparent(v, c);
  return contextJson(c);
}

export function tcParseB3(v: string | null): string {
  const c = new ParsedContext(FORMAT_B3);
  parseB3Single(v, c);
  return contextJson(c);
}

export function tcParseB3Multi(t: string | null, s: string | null, p: string | null, sampled: string | null, flags: string | null): string {
  const c = new ParsedContext(FORMAT_B3MULTI);
  parseB3Multi(t, s, p, sampled, flags, c);
  return contextJson(c);
}

const scratch = new TracestateScratch();
export function tcTracestate(v: string | null): string {
  return statusName(validateTracestate(v, scratch));
}

export const FMT_TRACECONTEXT: i32 = FORMAT_TRACECONTEXT;
export const FMT_B3: i32 = FORMAT_B3;
export const FMT_B3MULTI: i32 = FORMAT_B3MULTI;

// One decision object reused across calls, as the filter does.
const decision = new ContextDecision();
const headers = new StaticArray<string | null>(CONTEXT_HEADER_COUNT);

export function tcDecide(
  tp: string | null, ts: string | null, b3: string | null, tid: string | null, sid: string | null,
  pid: string | null, sampled: string | null, flags: string | null, formats: i32,
): string {
  headers[0] = tp; headers[1] = ts; headers[2] = b3; headers[3] = tid;
  headers[4] = sid; headers[5] = pid; headers[6] = sampled; headers[7] = flags;
  const d = decideContext(headers, formats, decision);
  let edits = "";
  for (let i = 0; i < CONTEXT_HEADER_COUNT; i++) {
    const a = d.actions[i];
    if (a == 0) continue;
    if (edits.length > 0) edits += ",";
    edits += q(CONTEXT_HEADER_NAMES[i]) + ":" + (a == 1 ? q(d.values[i]) : "null");
  }
  return "{\"edits\":{" + edits + "},\"invalid\":" + d.invalid.toString() + ",\"converted\":" + b(d.converted) +
    ",\"authority\":" + d.authority.toString() + ",\"changes\":" + b(d.changes) + "}";
}

/** Heap growth check: runs the same decision n times; the tests compare memory before and after. */
export function tcDecideRepeat(n: i32, tp: string | null, b3: string | null, formats: i32): void {
  for (let i = 0; i < n; i++) {
    headers[0] = tp; headers[1] = null; headers[2] = b3; headers[3] = null;
    headers[4] = null; headers[5] = null; headers[6] = null; headers[7] = null;
    decideContext(headers, formats, decision);
  }
}

/** hex: 32 hex chars = the 16 random bytes. */
export function tcUuid(hex: string): string {
  const bytes = new StaticArray<u8>(hex.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = <u8>I32.parseInt(hex.substr(i * 2, 2), 16);
  return formatUuidV4(bytes);
}

export function cfgParse(text: string): string {
  const r = parsePluginConfig(text);
  const c = r.config;
  let cfg = "null";
  if (c !== null) {
    cfg = "{\"direction\":" + c.direction.toString() + ",\"gateway\":" + b(c.gateway) +
      ",\"propagation\":" + c.propagation.toString() + ",\"generateRequestId\":" + b(c.generateRequestId) +
      ",\"responseRequestId\":" + b(c.responseRequestId) + ",\"kindHeader\":" + q(c.kindHeader) +
      ",\"directionHeader\":" + q(c.directionHeader) + "}";
  }
  return "{\"config\":" + cfg + ",\"error\":" + q(r.error) + ",\"warning\":" + q(r.warning) + "}";
}

const direction = new DirectionDecision();
export function dirDecide(
  xds: i64, old: i64, xdsCluster: string | null, oldCluster: string | null, node: string | null,
  configDirection: i32, gateway: bool,
): string {
  decideDirection(xds, old, xdsCluster, oldCluster, node, configDirection, gateway, direction);
  return "{\"direction\":" + q(directionName(direction.direction)) + ",\"kind\":" + q(kindName(direction.kind)) +
    ",\"source\":" + q(sourceName(direction.source)) + "}";
}
