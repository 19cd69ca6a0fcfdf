/**
 * What ties a healed CLIENT span to the SERVER span it belongs under: the same proxy (`node_id`)
 * and the same request (`guid:x-request-id`, the tag Envoy puts on every span), in any trace when
 * the request ID is a UUID (Envoy's own: unique per request), else in the same trace. Across
 * traces because Envoy starts the healed request's own span, before the filter heals it, in a
 * trace of its own (docs/reparent-processor.md). Pure functions, no allocation: the processor
 * keys its memories by a 32-bit hash of the request ID (the node id, ~90 characters, would only
 * lengthen the hash) and confirms a hit by comparing the parts.
 *
 * Envoy's UUID request-ID extension packs the trace decision into the UUID's version character
 * (string index 14: `9` sampled, `a` forced, `b` client-forced, `4` otherwise), so the inbound
 * request and the application's outbound call carry IDs that differ in that one character: it is
 * ignored, and hex letters compare case-insensitively (an application may re-format the ID).
 */
import type { AnyValue } from '../../pdata/model.js';

/** The UUID character Envoy rewrites with the trace decision. */
export const REQUEST_ID_DECISION_INDEX = 14;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 16777619;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** FNV-1a over the request ID (index 14 skipped, case folded). */
export function requestKeyHash(requestId: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < requestId.length; i++) {
    if (i === REQUEST_ID_DECISION_INDEX) continue;
    h = Math.imul(h ^ lower(requestId.charCodeAt(i)), FNV_PRIME);
  }
  return h >>> 0;
}

/** Whether two request IDs name the same request: equal but for index 14, hex letters in any case. */
export function sameRequestId(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (i === REQUEST_ID_DECISION_INDEX) continue;
    if (lower(a.charCodeAt(i)) !== lower(b.charCodeAt(i))) return false;
  }
  return true;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * An ID in the UUID form Envoy generates (8-4-4-4-12 hex digits, either case): unique per
 * request, so a healed span may be matched to its SERVER span across traces by it.
 */
export function isUuidRequestId(id: string): boolean {
  if (id.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23 ? c !== 45 : !isHexDigit(c)) return false;
  }
  return true;
}

/**
 * A request ID worth keying on: long enough to hold index 14 (Envoy's UUIDs are 36 characters;
 * shorter IDs are compared whole, but an empty or `-` value names no request).
 */
export function isUsableRequestId(id: string | undefined): id is string {
  return id !== undefined && id !== '' && id !== '-';
}

/**
 * `meshtrace.healed`, as Istio's Telemetry `customTags` record the filter's `x-meshtrace-healed: 1`
 * header (a string), or as a typed attribute from another pipeline: `1`, `true` (any case), true, 1.
 */
export function isHealedValue(v: AnyValue | null | undefined): boolean {
  if (v == null) return false;
  if (v.stringValue != null) {
    const s = v.stringValue;
    return s === '1' || (s.length === 4 && s.toLowerCase() === 'true');
  }
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return typeof v.intValue === 'number' ? v.intValue === 1 : v.intValue.toNumber() === 1;
  return false;
}

/** The 8 bytes of a span ID as two unsigned 32-bit numbers (stored without keeping the bytes alive). */
export function idHigh(id: Uint8Array): number {
  return ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
}

export function idLow(id: Uint8Array): number {
  return ((id[4]! << 24) | (id[5]! << 16) | (id[6]! << 8) | id[7]!) >>> 0;
}
