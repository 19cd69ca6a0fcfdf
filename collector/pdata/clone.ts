/**
 * Deep copy of trace data for fan-out to several pipelines (processors modify spans in place).
 * Unlike structuredClone it keeps `Long` values as Long (their methods are used downstream) and
 * copies protobufjs-decoded messages' inherited field defaults as own values.
 */
import Long from 'long';
import type { TraceData } from './model.js';

function cloneValue(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? Buffer.from(v) : new Uint8Array(v);
  if (Long.isLong(v)) return new Long((v as Long).low, (v as Long).high, (v as Long).unsigned);
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneValue(v[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  // for..in: protobufjs keeps field defaults (empty lists, "") on the prototype.
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x === 'function' || x === undefined) continue;
    out[k] = cloneValue(x);
  }
  return out;
}

export function cloneTraceData(td: TraceData): TraceData {
  return cloneValue(td) as TraceData;
}
