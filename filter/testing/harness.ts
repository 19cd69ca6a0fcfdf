// Test-only entry: exposes the pure filter modules to vitest through
// @assemblyscript/loader (built with --exportRuntime into build/filter-pure.wasm).
// Results come back as JSON text so the tests can compare whole structures.
// Never linked into the Envoy module.
import {
  ParsedContext, parseTraceparent, parseB3Single, parseB3Multi, B3Value, validateTracestate, TracestateScratch, ValueList,
  renderWithoutRepeats, withoutRepeatsLength, ContextDecision, ContextHeaders, decideContext, writeUuidV4, UUID_LENGTH,
  CONTEXT_HEADER_COUNT, contextHeaderNameText, FORMAT_TRACECONTEXT, FORMAT_B3, FORMAT_B3MULTI, H_TRACESTATE,
} from "../tracecontext/index";
import { ByteBuffer } from "../proxy-wasm/bytes";
import { parsePluginConfig } from "../config/index";
import { requestIdKey, slotOf, KEY_LENGTH } from "../heal/request-id";
import { writeEntry, readEntry, RememberedContext, ENTRY_OK, ENTRY_OTHER_KEY, MAX_ENTRY_LENGTH } from "../heal/entry";
import { ALIAS_LENGTH, isAliasValue } from "../heal/alias";
import { decideDirection, DirectionDecision, directionName, kindName, sourceName } from "../direction/direction";

// Inputs arrive as strings (from the tests); the modules read bytes. Each string is encoded into
// a buffer kept in `held` until the next call, so its bytes stay valid while they are parsed.
let held: Array<ArrayBuffer> = [];
function bytesOf(s: string): ArrayBuffer {
  const b = String.UTF8.encode(s);
  held.push(b);
  return b;
}
function text(p: usize, n: i32): string {
  return String.UTF8.decodeUnsafe(p, <usize>n);
}

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
  const traceId = c.traceLen > 0 ? text(c.traceAt, c.traceLen) : "";
  const spanId = c.status == 1 ? text(c.spanAt, 16) : "";
  const parent: string | null = c.parentAt != 0 ? text(c.parentAt, 16) : null;
  return "{\"status\":" + q(statusName(c.status)) +
    ",\"traceId\":" + q(traceId) + ",\"spanId\":" + q(spanId) + ",\"parentSpanId\":" + q(parent) +
    ",\"sampling\":" + q(samplingName(c.sampling)) + ",\"flags\":" + c.w3cFlags.toString() +
    ",\"canonical\":" + b(c.canonical) + "}";
}

const tpContext = new ParsedContext(FORMAT_TRACECONTEXT);
const b3Context = new ParsedContext(FORMAT_B3);
const multiContext = new ParsedContext(FORMAT_B3MULTI);

export function tcParseTraceparent(v: string | null): string {
  held = [];
  const b = v !== null ? bytesOf(v) : new ArrayBuffer(0);
  parseTraceparent(v !== null, changetype<usize>(b), b.byteLength, tpContext);
  return contextJson(tpContext);
}

export function tcParseB3(v: string | null): string {
  held = [];
  const b = v !== null ? bytesOf(v) : new ArrayBuffer(0);
  parseB3Single(v !== null, changetype<usize>(b), b.byteLength, b3Context);
  return contextJson(b3Context);
}

const multiValues: StaticArray<B3Value> = [new B3Value(), new B3Value(), new B3Value(), new B3Value(), new B3Value()];
function b3Value(i: i32, v: string | null): B3Value {
  const out = multiValues[i];
  out.present = v !== null;
  if (v !== null) {
    const b = bytesOf(v);
    out.at = changetype<usize>(b);
    out.len = b.byteLength;
  }
  return out;
}

export function tcParseB3Multi(t: string | null, s: string | null, p: string | null, sampled: string | null, flags: string | null): string {
  held = [];
  parseB3Multi(b3Value(0, t), b3Value(1, s), b3Value(2, p), b3Value(3, sampled), b3Value(4, flags), multiContext);
  return contextJson(multiContext);
}

const scratch = new TracestateScratch();
const pieces = new ValueList(64);
const arena = new ByteBuffer(65536);

/** Splits v at "\n" into several tracestate headers (one when there is no newline). */
function tracestatePieces(v: string): void {
  pieces.count = 0;
  const parts = v.split("\n");
  for (let i = 0; i < parts.length; i++) {
    const b = bytesOf(parts[i]);
    pieces.push(changetype<usize>(b), b.byteLength);
  }
}

export function tcTracestate(v: string | null): string {
  held = [];
  if (v === null) pieces.count = 0;
  else tracestatePieces(v);
  return statusName(validateTracestate(pieces, scratch));
}

/** The list forwarded for a valid tracestate with repeated keys (first member of each key), or the status. */
export function tcTracestateWithoutRepeats(v: string): string {
  held = [];
  tracestatePieces(v);
  const status = validateTracestate(pieces, scratch);
  if (status != 1) return statusName(status);
  arena.reset();
  return text(renderWithoutRepeats(scratch, arena), withoutRepeatsLength(scratch));
}

export const FMT_TRACECONTEXT: i32 = FORMAT_TRACECONTEXT;
export const FMT_B3: i32 = FORMAT_B3;
export const FMT_B3MULTI: i32 = FORMAT_B3MULTI;

// One decision object reused across calls, as the filter does.
const decision = new ContextDecision();
const input = new ContextHeaders();

/** Header h with value v; a value with "\n" is several headers of that name, in order. */
function addHeader(h: i32, v: string | null): void {
  if (v === null) return;
  const parts = v.split("\n");
  for (let i = 0; i < parts.length; i++) {
    const b = bytesOf(parts[i]);
    input.add(h, changetype<usize>(b), b.byteLength);
  }
}

export function tcDecide(
  tp: string | null, ts: string | null, b3: string | null, tid: string | null, sid: string | null,
  pid: string | null, sampled: string | null, flags: string | null, formats: i32,
): string {
  held = [];
  input.reset();
  addHeader(0, tp); addHeader(1, ts); addHeader(2, b3); addHeader(3, tid);
  addHeader(4, sid); addHeader(5, pid); addHeader(6, sampled); addHeader(7, flags);
  arena.reset();
  const d = decideContext(input, formats, decision, arena);
  let edits = "";
  for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) {
    const a = d.action(h);
    if (a == 0) continue;
    if (edits.length > 0) edits += ",";
    edits += q(contextHeaderNameText(h)) + ":" + (a == 1 ? q(text(d.valueAt(h), d.valueLen(h))) : "null");
  }
  return "{\"edits\":{" + edits + "},\"invalid\":" + d.invalid.toString() + ",\"converted\":" + b(d.converted) +
    ",\"authority\":" + d.authority.toString() + ",\"changes\":" + b(d.changes) + ",\"denied\":" + b(d.denied) + "}";
}

/** Heap growth check: runs the same decision n times; the tests compare memory before and after. */
export function tcDecideRepeat(n: i32, tp: string | null, b3: string | null, formats: i32): void {
  held = [];
  input.reset();
  addHeader(0, tp);
  addHeader(2, b3);
  for (let i = 0; i < n; i++) {
    arena.reset();
    decideContext(input, formats, decision, arena);
  }
}

/** hex: 32 hex chars = the 16 random bytes. */
export function tcUuid(hex: string): string {
  if (hex.length < 32) return "";
  const random = new StaticArray<u8>(16);
  for (let i = 0; i < 16; i++) random[i] = <u8>I32.parseInt(hex.substr(i * 2, 2), 16);
  const out = new StaticArray<u8>(UUID_LENGTH);
  writeUuidV4(changetype<usize>(random), changetype<usize>(out));
  return text(changetype<usize>(out), UUID_LENGTH);
}

export function cfgParse(text: string): string {
  const r = parsePluginConfig(text);
  const c = r.config;
  let cfg = "null";
  if (c !== null) {
    cfg = "{\"direction\":" + c.direction.toString() + ",\"gateway\":" + b(c.gateway) +
      ",\"propagation\":" + c.propagation.toString() + ",\"generateRequestId\":" + b(c.generateRequestId) +
      ",\"responseRequestId\":" + b(c.responseRequestId) + ",\"kindHeader\":" + q(c.kindHeader) +
      ",\"directionHeader\":" + q(c.directionHeader) + ",\"heal\":" + b(c.heal) + ",\"healSlots\":" + c.healSlots.toString() +
      ",\"healTtlSeconds\":" + c.healTtlSeconds.toString() + ",\"healedHeader\":" + q(c.healedHeader) +
      ",\"healedTraceHeader\":" + q(c.healedTraceHeader) + "}";
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

// ---- healing: request-ID keys, slots, shared-data entries ----------------------------------------

const healKeyBytes = new StaticArray<u8>(KEY_LENGTH);

/** The key of an x-request-id as 32 hex digits, or "" when it is not a UUID. */
export function healKey(id: string): string {
  held = [];
  const b = bytesOf(id);
  if (!requestIdKey(changetype<usize>(b), b.byteLength, changetype<usize>(healKeyBytes))) return "";
  let out = "";
  for (let i = 0; i < KEY_LENGTH; i++) out += (<i32>healKeyBytes[i]).toString(16).padStart(2, "0");
  return out;
}

/** The slot of an x-request-id among `slots`, or -1 when it is not a UUID. */
export function healSlot(id: string, slots: u32): i32 {
  held = [];
  const b = bytesOf(id);
  if (!requestIdKey(changetype<usize>(b), b.byteLength, changetype<usize>(healKeyBytes))) return -1;
  return <i32>slotOf(changetype<usize>(healKeyBytes), slots);
}

const entryBuffer = new ByteBuffer(<usize>MAX_ENTRY_LENGTH);
const remembered = new RememberedContext();
const entryKey = new StaticArray<u8>(KEY_LENGTH);

/**
 * Writes the entry remembering the context of traceparent `tp` (or, when tp does not start with
 * "00-", of b3 `tp`) with tracestate `ts` and alias `alias` ("" = none) for request `id`, flips
 * byte `corruptAt` (when ≥ 0), and reads it back for request `lookupId`:
 * {"status", "context", "timeMs", "tracestate", "alias", "length"}.
 */
export function healEntry(tp: string, ts: string | null, timeMs: u64, id: string, lookupId: string, corruptAt: i32, alias: string): string {
  held = [];
  const tpBytes = bytesOf(tp);
  const a = tp.startsWith("00-") ? tpContext : b3Context;
  if (a === tpContext) parseTraceparent(true, changetype<usize>(tpBytes), tpBytes.byteLength, a);
  else parseB3Single(true, changetype<usize>(tpBytes), tpBytes.byteLength, a);
  if (ts === null) pieces.count = 0;
  else tracestatePieces(ts);
  const idBytes = bytesOf(id);
  requestIdKey(changetype<usize>(idBytes), idBytes.byteLength, changetype<usize>(healKeyBytes));
  const aliasBytes = bytesOf(alias);
  const len = writeEntry(entryBuffer.base, changetype<usize>(healKeyBytes), timeMs, a, ts === null ? null : pieces,
    alias.length > 0 ? changetype<usize>(aliasBytes) : 0);
  if (corruptAt >= 0) store<u8>(entryBuffer.base + <usize>corruptAt, load<u8>(entryBuffer.base + <usize>corruptAt) ^ 0xff);
  const lookup = bytesOf(lookupId);
  requestIdKey(changetype<usize>(lookup), lookup.byteLength, changetype<usize>(entryKey));
  const status = readEntry(entryBuffer.base, len, changetype<usize>(entryKey), remembered);
  const statusText = status == ENTRY_OK ? "ok" : status == ENTRY_OTHER_KEY ? "other-key" : "corrupt";
  if (status != ENTRY_OK) return "{\"status\":" + q(statusText) + ",\"length\":" + len.toString() + "}";
  return "{\"status\":\"ok\",\"length\":" + len.toString() + ",\"context\":" + contextJson(remembered.context) +
    ",\"format\":" + remembered.context.format.toString() + ",\"timeMs\":" + remembered.timeMs.toString() +
    ",\"tracestate\":" + q(text(remembered.tracestateAt, remembered.tracestateLen)) +
    ",\"alias\":" + q(remembered.aliasAt != 0 ? text(remembered.aliasAt, ALIAS_LENGTH) : "") + "}";
}

/** Whether the text is a well-formed healed-trace alias (heal/alias.ts). */
export function healAliasValid(v: string): bool {
  held = [];
  const b = bytesOf(v);
  return isAliasValue(changetype<usize>(b), b.byteLength);
}
