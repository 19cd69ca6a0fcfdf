/**
 * Shared helpers of the filter tests: the REAL release module (build/meshtrace-filter.wasm) in
 * the Envoy-like host, and a small reference validator of trace-context headers written from
 * the specifications (W3C Trace Context Level 1/2, B3), independent of the filter's own parsers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProxyWasmHost, type HeaderList, type HostOptions, type RequestInput } from '../../host/index.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The release module; MESHTRACE_FILTER_WASM points the tests at another build (e.g. a deliberately broken one). */
export const FILTER_WASM = process.env.MESHTRACE_FILTER_WASM ?? resolve(ROOT, 'build/meshtrace-filter.wasm');

let bytes: Uint8Array | null = null;
export function filterBytes(): Uint8Array {
  if (!bytes) {
    if (!existsSync(FILTER_WASM)) throw new Error(`${FILTER_WASM} is missing: run \`npm run build:filter\` first`);
    bytes = readFileSync(FILTER_WASM);
  }
  return bytes;
}

export const SIDECAR_NODE = 'sidecar~10.0.0.5~reviews-v1-abc.default~default.svc.cluster.local';
export const GATEWAY_NODE = 'router~10.0.0.1~istio-ingressgateway-5d8f.istio-system~istio-system.svc.cluster.local';

/** A configured host around the real filter; throws if the configuration is refused. */
export function filterHost(pluginConfig: unknown = {}, options: HostOptions = {}): ProxyWasmHost {
  const host = ProxyWasmHost.load(filterBytes(), {
    pluginConfig,
    properties: { 'xds.node': { id: SIDECAR_NODE } },
    reloadOnFailure: false,
    ...options,
  });
  const c = host.configure();
  if (!c.accepted) throw new Error(`configuration refused: ${JSON.stringify(c.logs)}`);
  return host;
}

export const INBOUND = { 'xds.listener_direction': 1n, 'xds.cluster_name': 'inbound|9080||' };
export const OUTBOUND = { 'xds.listener_direction': 2n, 'xds.cluster_name': 'outbound|9080||reviews.default.svc.cluster.local' };

/** All values of `name` (lower-case) in a header list. */
export function values(headers: HeaderList, name: string): string[] {
  return headers.filter(([k]) => k === name).map(([, v]) => v);
}

export const CONTEXT_NAMES = ['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'] as const;
export type ContextName = (typeof CONTEXT_NAMES)[number];

/** The context headers of a header list: name → value (repeats joined with ","), absent ones left out. */
export function contextOf(headers: HeaderList): Partial<Record<ContextName, string>> {
  const out: Partial<Record<ContextName, string>> = {};
  for (const n of CONTEXT_NAMES) {
    const v = values(headers, n);
    if (v.length) out[n] = v.join(',');
  }
  return out;
}

export function request(host: ProxyWasmHost, requestHeaders: HeaderList, properties: RequestInput['properties'] = INBOUND, responseHeaders?: HeaderList) {
  const r = host.request({ properties, requestHeaders, responseHeaders });
  if (r.trapped) throw new Error(`trapped: ${r.error}`);
  return r;
}

// ---- reference validator (from the specifications, not from the filter) ----------------------

const HEX = /^[0-9a-f]+$/;
const isZero = (s: string) => /^0+$/.test(s);
const lowerHex = (s: string, len: number | number[]) => (Array.isArray(len) ? len.includes(s.length) : s.length === len) && HEX.test(s) && !isZero(s);

export interface RefContext { traceId: string; spanId: string; parentId?: string; sampled: boolean | null }

/**
 * W3C traceparent as a filter may FORWARD it: version 00 (the filter re-emits other versions as
 * 00), exactly 55 chars, lower-case hex, non-zero IDs, only the sampled (01) and random (02) flags.
 */
export function refTraceparent(v: string): RefContext | null {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(v);
  if (!m || isZero(m[1]!) || isZero(m[2]!)) return null;
  const flags = parseInt(m[3]!, 16);
  if ((flags & ~0x03) !== 0) return null;
  return { traceId: m[1]!, spanId: m[2]!, sampled: (flags & 1) === 1 };
}

const TS_KEY = /^(?:[a-z0-9][_0-9a-z\-*/@]{0,255})$/;
const TS_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
/** W3C tracestate: ≤ 32 list members, keys and values by the grammar, each key once. */
export function refTracestate(v: string): boolean {
  const members = v.split(',').map((m) => m.replace(/^[ \t]+|[ \t]+$/g, '')).filter((m) => m.length > 0);
  if (members.length > 32) return false;
  const keys = new Set<string>();
  for (const m of members) {
    const eq = m.indexOf('=');
    if (eq <= 0) return false;
    const key = m.slice(0, eq);
    const value = m.slice(eq + 1);
    if (!TS_KEY.test(key) || !TS_VALUE.test(value) || keys.has(key)) return false;
    keys.add(key);
  }
  return true;
}

export type B3Sampling = 'accept' | 'deny' | 'debug' | 'defer';
export interface RefB3 extends RefContext { state: B3Sampling }

/**
 * B3 single header: `{TraceId}-{SpanId}[-{Sampling}[-{ParentSpanId}]]`, `{TraceId}-{SpanId}-{ParentSpanId}`
 * (deferred sampling, as brave writes it) or a bare `0`/`1`/`d`.
 */
export function refB3Single(v: string): RefB3 | 'sampling-only' | null {
  if (v === '0' || v === '1' || v === 'd') return 'sampling-only';
  const parts = v.split('-');
  if (parts.length < 2 || parts.length > 4) return null;
  if (parts.length === 3 && parts[2]!.length === 16) parts.splice(2, 0, ''); // the deferred form with a parent
  const [t, s, rawState, p] = parts as [string, string, string?, string?];
  const state = rawState === '' ? undefined : rawState;
  if (!lowerHex(t, [16, 32]) || !lowerHex(s, 16)) return null;
  if (state !== undefined && !['0', '1', 'd'].includes(state)) return null;
  if (p !== undefined && !lowerHex(p, 16)) return null;
  const st: B3Sampling = state === undefined ? 'defer' : state === '1' ? 'accept' : state === 'd' ? 'debug' : 'deny';
  return { traceId: t.padStart(32, '0'), spanId: s, parentId: p, state: st, sampled: st === 'defer' ? null : st !== 'deny' };
}

/** B3 multi headers as a filter forwards them: IDs together, Sampled 1/0 only (B3: accept true/false, emit 1/0), Flags 1/0. */
export function refB3Multi(h: Partial<Record<ContextName, string>>): RefB3 | 'sampling-only' | null {
  const t = h['x-b3-traceid'], s = h['x-b3-spanid'], p = h['x-b3-parentspanid'], smp = h['x-b3-sampled'], f = h['x-b3-flags'];
  if (smp !== undefined && smp !== '0' && smp !== '1') return null;
  if (f !== undefined && f !== '1' && f !== '0') return null; // 1 = debug; 0 = none
  if (f === '1' && smp === '0') return null; // debug implies accept (a redundant Sampled 1 is consistent)
  if (t === undefined && s === undefined) return p === undefined ? 'sampling-only' : null;
  if (t === undefined || s === undefined || !lowerHex(t, [16, 32]) || !lowerHex(s, 16)) return null;
  if (p !== undefined && !lowerHex(p, 16)) return null;
  const st: B3Sampling = f === '1' ? 'debug' : smp === '1' ? 'accept' : smp === '0' ? 'deny' : 'defer';
  return { traceId: t.padStart(32, '0'), spanId: s, parentId: p, state: st, sampled: st === 'defer' ? null : st !== 'deny' };
}

/**
 * Problems with the context headers a filter forwarded (empty = every header is valid by its
 * specification, each appears once (tracestate may repeat), tracestate only beside a valid
 * traceparent, and all full contexts agree on trace ID, span ID and sampling).
 */
export function contextProblems(headers: HeaderList): string[] {
  const problems: string[] = [];
  for (const n of CONTEXT_NAMES) {
    if (n !== 'tracestate' && values(headers, n).length > 1) problems.push(`${n} forwarded ${values(headers, n).length} times`);
  }
  const h = contextOf(headers);
  const full: Array<[string, RefContext]> = [];
  let tp: RefContext | null = null;
  if (h.traceparent !== undefined) {
    tp = refTraceparent(h.traceparent);
    if (!tp) problems.push(`invalid traceparent ${JSON.stringify(h.traceparent)}`);
    else full.push(['traceparent', tp]);
  }
  if (h.tracestate !== undefined) {
    if (!tp) problems.push('tracestate without a valid traceparent');
    if (!refTracestate(h.tracestate)) problems.push(`invalid tracestate ${JSON.stringify(h.tracestate.slice(0, 200))}`);
  }
  if (h.b3 !== undefined) {
    const b = refB3Single(h.b3);
    if (!b) problems.push(`invalid b3 ${JSON.stringify(h.b3)}`);
    else if (b !== 'sampling-only') full.push(['b3', b]);
  }
  if (CONTEXT_NAMES.slice(3).some((n) => h[n] !== undefined)) {
    const m = refB3Multi(h);
    if (!m) problems.push(`invalid X-B3-* ${JSON.stringify(h)}`);
    else if (m !== 'sampling-only') full.push(['b3multi', m]);
  }
  for (let i = 1; i < full.length; i++) {
    const [an, a] = full[0]!;
    const [bn, b] = full[i]!;
    if (a.traceId !== b.traceId) problems.push(`${an} and ${bn} disagree on the trace ID`);
    if (a.spanId !== b.spanId) problems.push(`${an} and ${bn} disagree on the span ID`);
    if (a.sampled !== null && b.sampled !== null && a.sampled !== b.sampled) problems.push(`${an} and ${bn} disagree on sampling`);
    if (a.parentId !== undefined && b.parentId !== undefined && a.parentId !== b.parentId) problems.push(`${an} and ${bn} disagree on the parent span ID`);
  }
  return problems;
}

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
