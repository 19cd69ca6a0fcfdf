/**
 * Attribute values as X-Ray takes them: annotations (indexed: string ≤ 1000 chars, finite number,
 * boolean) and metadata (any JSON); and times, as seconds.
 */
import type { AnyValue } from '../../../pdata/model.js';
import { anyValueToJs } from '../../../pdata/model.js';
import { MAX_ANNOTATION_STRING_LENGTH, truncate } from './names.js';

export type AnnotationValue = string | number | boolean;

/** A value X-Ray can index: strings (≤ 1000 chars), finite numbers, booleans. */
export function annotationValue(v: AnyValue | null | undefined): AnnotationValue | undefined {
  if (v == null) return undefined;
  if (v.stringValue != null) return truncate(v.stringValue, MAX_ANNOTATION_STRING_LENGTH);
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) {
    const n = typeof v.intValue === 'number' ? v.intValue : v.intValue.toNumber();
    return Number.isSafeInteger(n) ? n : typeof v.intValue === 'number' ? undefined : v.intValue.toString();
  }
  if (v.doubleValue != null) return Number.isFinite(v.doubleValue) ? v.doubleValue : undefined;
  return undefined;
}

/**
 * `o[key] = value` for keys taken from user data: `__proto__` would set the object's prototype
 * instead (and the entry would vanish from the JSON), so it is defined as an own property.
 */
export function setEntry(o: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** JSON-safe metadata value: non-finite doubles become strings (JSON would turn them into null). */
export function metadataValue(v: AnyValue | null | undefined): unknown {
  if (v != null) {
    if (v.stringValue != null) return v.stringValue;
    if (v.doubleValue != null && !Number.isFinite(v.doubleValue)) return String(v.doubleValue);
    if (v.arrayValue != null) return (v.arrayValue.values ?? []).map(metadataValue);
    if (v.kvlistValue != null) {
      const o: Record<string, unknown> = {};
      for (const kv of v.kvlistValue.values ?? []) setEntry(o, kv.key, metadataValue(kv.value));
      return o;
    }
  }
  const js = anyValueToJs(v);
  return js === undefined ? null : js;
}

/**
 * Float seconds with microsecond precision (X-Ray's): rounding to whole microseconds first means
 * 1700000000.25 s prints as such instead of 1700000000.2499998 (nanoseconds exceed a double's
 * integer precision).
 */
export function nanosToSeconds(ns: number): number {
  return Math.round(ns / 1000) / 1e6;
}
