// The WasmPlugin `pluginConfig` of the meshtrace filter: JSON text in, a
// validated PluginConfig (or one error naming the key and the problem) out.
// Runs once per proxy_on_configure; never on the request path.
import { parseJson, JsonValue, jsonKindName, JSON_ARRAY, JSON_BOOL, JSON_NULL, JSON_NUMBER, JSON_OBJECT, JSON_STRING } from "./json";
import { CONFIG_DIRECTION_AUTO, DIRECTION_INBOUND, DIRECTION_OUTBOUND } from "../direction/direction";
import { FORMAT_B3, FORMAT_B3MULTI, FORMAT_TRACECONTEXT, CONTEXT_HEADER_COUNT, contextHeaderNameText } from "../tracecontext/index";
import { ByteString } from "../proxy-wasm/bytes";
import { CLIENT_CERT_HEADER } from "../heal/alias";

export const DEFAULT_KIND_HEADER: string = "x-meshtrace-kind";
export const DEFAULT_DIRECTION_HEADER: string = "x-meshtrace-direction";
export const DEFAULT_PROPAGATION: i32 = FORMAT_TRACECONTEXT | FORMAT_B3MULTI;
export const DEFAULT_HEALED_HEADER: string = "x-meshtrace-healed";
/**
 * Request header carrying the healed trace's ID (32 lower-hex digits) on the requests that
 * continue a healed request (→ span tag meshtrace.healed_trace): Envoy's own span of a healed
 * request is in a trace of its own, and this is how the collector joins it (docs/filter.md).
 */
export const DEFAULT_HEALED_TRACE_HEADER: string = "x-meshtrace-healed-trace";
/**
 * Shared-data slots for healing. 8,192 entries of ~100 bytes (+ tracestate) are ~1–2 MB of
 * istio-proxy memory; at 1,000 inbound requests a second an entry is still there after 100 ms
 * with 98.8 % probability, after 1 s with 88 % (docs/filter.md, "Healing torn traces").
 */
export const DEFAULT_HEAL_SLOTS: i32 = 8192;
export const MAX_HEAL_SLOTS: i32 = 1048576;
export const DEFAULT_HEAL_TTL_SECONDS: i32 = 60;
export const MAX_HEAL_TTL_SECONDS: i32 = 86400;



const KIND_HEADER_NAME: ByteString = new ByteString(DEFAULT_KIND_HEADER);
const DIRECTION_HEADER_NAME: ByteString = new ByteString(DEFAULT_DIRECTION_HEADER);
const HEALED_HEADER_NAME: ByteString = new ByteString(DEFAULT_HEALED_HEADER);
const HEALED_TRACE_HEADER_NAME: ByteString = new ByteString(DEFAULT_HEALED_TRACE_HEADER);

export class PluginConfig {
  /** CONFIG_DIRECTION_AUTO, DIRECTION_INBOUND or DIRECTION_OUTBOUND. */
  direction: i32 = CONFIG_DIRECTION_AUTO;
  /** This proxy is a gateway (entry point: SERVER spans). Also detected from the node id. */
  gateway: bool = false;
  /** FORMAT_* bit mask of the trace-context formats to make present and agreeing. */
  propagation: i32 = DEFAULT_PROPAGATION;
  /** Generate a UUIDv4 x-request-id when a request has none. */
  generateRequestId: bool = true;
  /** Echo x-request-id on responses to inbound / gateway requests when the app did not set one. */
  responseRequestId: bool = true;
  kindHeader: string = DEFAULT_KIND_HEADER;
  directionHeader: string = DEFAULT_DIRECTION_HEADER;
  /** Heal torn traces: remember inbound contexts by x-request-id, restore them on outbound requests without one. */
  heal: bool = true;
  /** Shared-data slots for remembered contexts (fixed: the store never grows). */
  healSlots: i32 = DEFAULT_HEAL_SLOTS;
  /** Remembered contexts older than this are ignored. */
  healTtlSeconds: i32 = DEFAULT_HEAL_TTL_SECONDS;
  /** Request header stamped `1` on a healed request (→ span tag meshtrace.healed). */
  healedHeader: string = DEFAULT_HEALED_HEADER;
  /** Request header carrying the healed trace's ID (→ span tag meshtrace.healed_trace). */
  healedTraceHeader: string = DEFAULT_HEALED_TRACE_HEADER;
  /** The header names as bytes, for the request path (set by parsePluginConfig). */
  kindHeaderName: ByteString = KIND_HEADER_NAME;
  directionHeaderName: ByteString = DIRECTION_HEADER_NAME;
  healedHeaderName: ByteString = HEALED_HEADER_NAME;
  healedTraceHeaderName: ByteString = HEALED_TRACE_HEADER_NAME;
}

export class ConfigResult {
  /** The configuration, or null when refused. */
  config: PluginConfig | null = null;
  /** Why it was refused: `<key>: <problem>`. */
  error: string | null = null;
  /** Accepted, but with keys this filter does not know (ignored). */
  warning: string | null = null;
}

function refuse(message: string): ConfigResult {
  const r = new ConfigResult();
  r.error = message;
  return r;
}

function quote(s: string): string {
  // config values are echoed in log lines: keep them printable and short
  let out = "\"";
  const n = s.length < 64 ? s.length : 64;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) out += "\\" + String.fromCharCode(c);
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  if (s.length > n) out += "…";
  return out + "\"";
}

function wrongType(key: string, expected: string, got: JsonValue): string {
  return key + ": expected " + expected + ", got " + jsonKindName(got.kind);
}

/** An integer in [min, max], or the refusal message. */
function integerProblem(key: string, v: JsonValue, min: i32, max: i32): string | null {
  if (v.kind != JSON_NUMBER) return wrongType(key, "an integer", v);
  if (v.num != Math.floor(v.num)) return key + ": expected an integer, got " + v.num.toString();
  if (v.num < <f64>min || v.num > <f64>max) {
    const shown = Math.abs(v.num) < 1e15 ? (<i64>v.num).toString() : v.num.toString();
    return key + ": " + shown + " is out of range (" + min.toString() + " to " + max.toString() + ")";
  }
  return null;
}

/** RFC 9110 token chars, lower-case only (HTTP/2 and Envoy use lower-case header names). */
function isHeaderNameChar(c: i32): bool {
  if (c >= 0x61 && c <= 0x7a) return true;
  if (c >= 0x30 && c <= 0x39) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a || c == 0x2b ||
    c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
}

function headerNameProblem(name: string): string | null {
  if (name.length == 0) return "must not be empty";
  if (name.length > 256) return "longer than 256 characters";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return quote(name) + " is not lower-case";
    if (!isHeaderNameChar(c)) return quote(name) + " is not a valid header name";
  }
  if (name == "x-request-id") return quote(name) + " is the request-ID header";
  if (name == CLIENT_CERT_HEADER) return quote(name) + " is Envoy's client-certificate header (the filter reads it to trust a caller)";
  for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) {
    if (name == contextHeaderNameText(h)) return quote(name) + " is a trace-context header";
  }
  return null;
}

function formatOf(name: string): i32 {
  if (name == "tracecontext") return FORMAT_TRACECONTEXT;
  if (name == "b3") return FORMAT_B3;
  if (name == "b3multi") return FORMAT_B3MULTI;
  return 0;
}

/**
 * Parses and validates pluginConfig. Empty or whitespace-only text and `{}` / `null` give the defaults.
 * Refused (error set, config null): not JSON, not an object, a wrong type, an unknown enum value, a bad
 * header name — the first problem found, as `<key>: <problem>`. Unknown keys are accepted with a warning
 * naming them.
 */
export function parsePluginConfig(text: string): ConfigResult {
  let blank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) { blank = false; break; }
  }
  const result = new ConfigResult();
  const cfg = new PluginConfig();
  result.config = cfg;
  if (blank) return result;

  const parsed = parseJson(text);
  const jsonError = parsed.error;
  if (jsonError !== null) return refuse("pluginConfig is not valid JSON: " + jsonError);
  const root = changetype<JsonValue>(parsed.value);
  if (root.kind == JSON_NULL) return result;
  if (root.kind != JSON_OBJECT) return refuse(wrongType("pluginConfig", "a JSON object", root));

  let unknown = "";
  for (let i = 0; i < root.keys.length; i++) {
    const key = root.keys[i];
    const v = root.items[i];
    if (key == "direction") {
      if (v.kind != JSON_STRING) return refuse(wrongType(key, "a string", v));
      if (v.str == "auto") cfg.direction = CONFIG_DIRECTION_AUTO;
      else if (v.str == "inbound") cfg.direction = DIRECTION_INBOUND;
      else if (v.str == "outbound") cfg.direction = DIRECTION_OUTBOUND;
      else return refuse(key + ": unknown value " + quote(v.str) + " (expected auto, inbound, outbound)");
    } else if (key == "gateway") {
      if (v.kind != JSON_BOOL) return refuse(wrongType(key, "a boolean", v));
      cfg.gateway = v.bool;
    } else if (key == "generate_request_id") {
      if (v.kind != JSON_BOOL) return refuse(wrongType(key, "a boolean", v));
      cfg.generateRequestId = v.bool;
    } else if (key == "response_request_id") {
      if (v.kind != JSON_BOOL) return refuse(wrongType(key, "a boolean", v));
      cfg.responseRequestId = v.bool;
    } else if (key == "propagation") {
      if (v.kind != JSON_ARRAY) return refuse(wrongType(key, "an array of formats", v));
      let mask = 0;
      for (let j = 0; j < v.items.length; j++) {
        const item = v.items[j];
        const at = key + "[" + j.toString() + "]";
        if (item.kind != JSON_STRING) return refuse(wrongType(at, "a string", item));
        const f = formatOf(item.str);
        if (f == 0) return refuse(at + ": unknown format " + quote(item.str) + " (expected tracecontext, b3, b3multi)");
        if ((mask & f) != 0) return refuse(at + ": duplicate format " + quote(item.str));
        mask |= f;
      }
      cfg.propagation = mask;
    } else if (key == "heal") {
      if (v.kind != JSON_BOOL) return refuse(wrongType(key, "a boolean", v));
      cfg.heal = v.bool;
    } else if (key == "heal_slots") {
      const problem = integerProblem(key, v, 1, MAX_HEAL_SLOTS);
      if (problem !== null) return refuse(problem);
      cfg.healSlots = <i32>v.num;
    } else if (key == "heal_ttl_seconds") {
      const problem = integerProblem(key, v, 1, MAX_HEAL_TTL_SECONDS);
      if (problem !== null) return refuse(problem);
      cfg.healTtlSeconds = <i32>v.num;
    } else if (key == "kind_header" || key == "direction_header" || key == "healed_header" || key == "healed_trace_header") {
      if (v.kind != JSON_STRING) return refuse(wrongType(key, "a string", v));
      const problem = headerNameProblem(v.str);
      if (problem !== null) return refuse(key + ": " + problem);
      if (key == "kind_header") cfg.kindHeader = v.str;
      else if (key == "direction_header") cfg.directionHeader = v.str;
      else if (key == "healed_header") cfg.healedHeader = v.str;
      else cfg.healedTraceHeader = v.str;
    } else {
      unknown += (unknown.length > 0 ? ", " : "") + quote(key);
    }
  }
  if (cfg.kindHeader == cfg.directionHeader) {
    return refuse("direction_header: " + quote(cfg.directionHeader) + " is also the kind_header");
  }
  if (cfg.healedHeader == cfg.kindHeader || cfg.healedHeader == cfg.directionHeader) {
    return refuse("healed_header: " + quote(cfg.healedHeader) + " is also the " + (cfg.healedHeader == cfg.kindHeader ? "kind_header" : "direction_header"));
  }
  const t = cfg.healedTraceHeader;
  if (t == cfg.kindHeader || t == cfg.directionHeader || t == cfg.healedHeader) {
    return refuse("healed_trace_header: " + quote(t) + " is also the " + (t == cfg.kindHeader ? "kind_header" : t == cfg.directionHeader ? "direction_header" : "healed_header"));
  }
  if (cfg.kindHeader != DEFAULT_KIND_HEADER) cfg.kindHeaderName = new ByteString(cfg.kindHeader);
  if (cfg.directionHeader != DEFAULT_DIRECTION_HEADER) cfg.directionHeaderName = new ByteString(cfg.directionHeader);
  if (cfg.healedHeader != DEFAULT_HEALED_HEADER) cfg.healedHeaderName = new ByteString(cfg.healedHeader);
  if (t != DEFAULT_HEALED_TRACE_HEADER) cfg.healedTraceHeaderName = new ByteString(t);
  if (unknown.length > 0) {
    // a local, not a global: globals are marked by every garbage collection
    const KNOWN_KEYS: StaticArray<string> = [
      "direction", "gateway", "propagation", "generate_request_id", "response_request_id", "kind_header", "direction_header",
      "heal", "heal_slots", "heal_ttl_seconds", "healed_header", "healed_trace_header",
    ];
    result.warning = "unknown keys ignored: " + unknown + " (known: " + KNOWN_KEYS.join(", ") + ")";
  }
  return result;
}
