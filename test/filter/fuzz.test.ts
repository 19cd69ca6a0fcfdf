/**
 * Fuzz: 12,000 generated header sets (valid, malformed, very long, duplicated, odd-case and
 * non-ASCII values, forged stamps, every direction source) through the real
 * build/meshtrace-filter.wasm under four configurations. For every request: no trap; every
 * context header forwarded is valid by its specification and all formats agree (reference
 * validator in helpers.ts, independent of the filter's parsers); a valid traceparent that
 * arrived is continued; stamps are exactly ours; every other header passes untouched.
 * The generator is seeded: a failure prints the seed and the request to reproduce it.
 */
import { describe, expect, it } from 'vitest';
import type { HeaderList } from '../../host/index.js';
import { filterHost, contextProblems, refTraceparent, values, CONTEXT_NAMES, UUID_V4 } from './helpers.js';
import { seededRng as rng } from '../seeded-rng.js';

const REQUESTS_PER_CONFIG = 3_000;
const CONFIGS = [
  {},
  { propagation: ['tracecontext', 'b3', 'b3multi'] },
  { propagation: ['b3'], generate_request_id: false },
  { propagation: [], kind_header: 'x-k', direction_header: 'x-d' },
] as const;

type Rng = ReturnType<typeof rng>;

const hex = (r: Rng, n: number) => Array.from({ length: n }, () => '0123456789abcdef'[r.int(16)]).join('');
const junk = (r: Rng, n: number) => {
  const alphabet = ['a', 'Z', '0', 'f', '-', '=', ',', ' ', '\t', '@', '/', '*', 'é', 'ü', '😀', '"', ';', '\u0001', '\u007f', 'ÿ'];
  return Array.from({ length: n }, () => r.pick(alphabet)).join('');
};
/** Damages a string: a character changed, removed, doubled, upper-cased, or the string truncated. */
function mutate(r: Rng, s: string): string {
  if (s.length === 0) return junk(r, 3);
  const i = r.int(s.length);
  switch (r.int(7)) {
    case 0: return s.slice(0, i) + r.pick(['g', 'F', '-', ' ', 'é', '0', 'x']) + s.slice(i + 1);
    case 1: return s.slice(0, i) + s.slice(i + 1);
    case 2: return s.slice(0, i) + s[i] + s.slice(i);
    case 3: return s.toUpperCase();
    case 4: return s.slice(0, i);
    case 5: return s + r.pick(['-', '-x', ' ', ',', '-01']);
    default: return s.replace(/[1-9a-f]/g, '0');
  }
}
const caseOf = (r: Rng, name: string) => (r.chance(0.15) ? name.split('').map((c) => (r.chance(0.5) ? c.toUpperCase() : c)).join('') : name);

function traceparent(r: Rng, trace: string, span: string): string {
  const valid = `${r.pick(['00', '00', '00', '01', 'cc'])}-${trace}-${span}-${r.pick(['00', '01', '02', '03', '09', 'ff'])}`;
  const v = valid.startsWith('00') ? valid : r.chance(0.5) ? `${valid}-${junk(r, 4)}` : valid;
  if (r.chance(0.3)) return mutate(r, v);
  if (r.chance(0.05)) return `ff-${trace}-${span}-01`;
  if (r.chance(0.05)) return ` ${v}\t`;
  return v;
}
function tracestate(r: Rng): string {
  const n = r.pick([0, 1, 2, 5, 31, 32, 33, 40]);
  const members = Array.from({ length: n }, (_, i) => `${r.pick(['k', 'vendor', 't@sys', 'a_b', 'x/y'])}${i}=${r.pick(['v', 'abc', 'x y', 'ok=no', 'é', hex(r, 16), 'v'.repeat(r.pick([1, 256, 257]))])}`);
  let s = members.join(r.pick([',', ' , ', ',\t', ',,']));
  if (r.chance(0.2)) s = mutate(r, s);
  return s;
}
function b3(r: Rng, trace: string, span: string): string {
  const t = r.chance(0.3) ? trace.slice(16) : trace;
  const forms = [`${t}-${span}`, `${t}-${span}-${r.pick(['0', '1', 'd', 'x'])}`, `${t}-${span}-1-${hex(r, 16)}`, r.pick(['0', '1', 'd', 'true'])];
  const v = r.pick(forms);
  return r.chance(0.3) ? mutate(r, v) : v;
}

function generate(r: Rng): { headers: HeaderList; props: Record<string, unknown>; direction: 'inbound' | 'outbound' | null } {
  const trace = r.chance(0.05) ? '0'.repeat(32) : hex(r, 32);
  const span = r.chance(0.05) ? '0'.repeat(16) : hex(r, 16);
  const headers: HeaderList = [[':authority', 'reviews:9080'], [':path', `/p/${hex(r, 4)}`], [':method', 'GET']];
  const add = (name: string, value: string) => headers.push([caseOf(r, name), value]);
  const trace2 = r.chance(0.5) ? trace : hex(r, 32);
  if (r.chance(0.6)) add('traceparent', traceparent(r, trace, span));
  if (r.chance(0.4)) add('tracestate', tracestate(r));
  if (r.chance(0.3)) add('b3', b3(r, trace2, span));
  if (r.chance(0.4)) {
    if (r.chance(0.9)) add('x-b3-traceid', r.chance(0.2) ? mutate(r, trace2) : r.chance(0.3) ? trace2.slice(16) : trace2);
    if (r.chance(0.9)) add('x-b3-spanid', r.chance(0.2) ? mutate(r, span) : r.chance(0.5) ? span : hex(r, 16));
    if (r.chance(0.3)) add('x-b3-parentspanid', r.chance(0.2) ? junk(r, 16) : hex(r, 16));
    if (r.chance(0.6)) add('x-b3-sampled', r.pick(['0', '1', 'true', 'false', '2', '']));
    if (r.chance(0.2)) add('x-b3-flags', r.pick(['0', '1', '2']));
  }
  if (r.chance(0.1)) add(r.pick(['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-sampled']), r.chance(0.5) ? `00-${hex(r, 32)}-${hex(r, 16)}-01` : junk(r, 10));
  if (r.chance(0.7)) add('x-request-id', r.chance(0.9) ? `${hex(r, 8)}-req` : '');
  if (r.chance(0.2)) add('x-meshtrace-kind', r.pick(['server', 'client', 'SERVER', junk(r, 5)]));
  if (r.chance(0.2)) add('x-meshtrace-direction', r.pick(['inbound', 'outbound', junk(r, 5)]));
  if (r.chance(0.1)) add('x-meshtrace-kind', 'client');
  if (r.chance(0.1)) add('x-k', 'forged');
  if (r.chance(0.05)) add('traceparent', 'x'.repeat(r.pick([100, 70_000])));
  if (r.chance(0.05)) add('tracestate', `a=${'b'.repeat(r.pick([300, 40_000]))}`);
  if (r.chance(0.3)) add('user-agent', junk(r, r.int(60)));
  if (r.chance(0.05)) add('cookie', 'c'.repeat(r.int(50_000)));
  for (let i = r.chance(0.05) ? 200 : r.int(8); i > 0; i--) add(`x-extra-${r.int(50)}`, junk(r, r.int(20)));
  // shuffle: order must not matter
  for (let i = headers.length - 1; i > 3; i--) {
    const j = 3 + r.int(i - 2);
    [headers[i], headers[j]] = [headers[j]!, headers[i]!];
  }
  const source = r.int(8);
  const dir = r.chance(0.5) ? 1n : 2n;
  const cl = dir === 1n ? 'inbound|9080||' : 'outbound|9080||reviews.default.svc.cluster.local';
  const props: Record<string, unknown> = [
    { 'xds.listener_direction': dir }, { listener_direction: dir }, { 'xds.cluster_name': cl }, { cluster_name: cl },
    { 'xds.listener_direction': 0n, 'xds.cluster_name': cl }, { 'xds.listener_direction': dir, 'xds.cluster_name': cl }, {}, { 'xds.cluster_name': 'BlackHoleCluster' },
  ][source]!;
  const direction = source >= 6 ? null : dir === 1n ? 'inbound' : 'outbound';
  return { headers, props, direction };
}

const lower = (h: HeaderList) => h.map(([k, v]) => [k.toLowerCase(), v] as [string, string]);

describe('fuzz (real .wasm)', () => {
  it.each(CONFIGS.map((config, i) => ({ config, i })))(`${REQUESTS_PER_CONFIG} generated requests, config #$i: no trap, valid agreeing context, exact stamps, other headers untouched`, ({ config, i }) => {
    const seed = 0x5eed + i;
    const r = rng(seed);
    const host = filterHost(config, { reloadOnFailure: false });
    const kindHeader = 'kind_header' in config ? config.kind_header : 'x-meshtrace-kind';
    const directionHeader = 'direction_header' in config ? config.direction_header : 'x-meshtrace-direction';
    const own = new Set<string>([...CONTEXT_NAMES, kindHeader, directionHeader, 'x-request-id']);
    const generateId = !('generate_request_id' in config);
    for (let n = 0; n < REQUESTS_PER_CONFIG; n++) {
      const { headers, props, direction } = generate(r);
      const res = host.request({ properties: props as never, requestHeaders: headers });
      const where = () => `seed ${seed} request ${n}: ${JSON.stringify({ headers: headers.map(([k, v]) => [k, v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v]), props }, (_, v) => (typeof v === 'bigint' ? Number(v) : v))}`;
      if (res.trapped) throw new Error(`trapped (${res.error}) at ${where()}`);
      const out = res.requestHeaders;
      const problems = contextProblems(out);
      if (problems.length) throw new Error(`${problems.join('; ')} at ${where()} → ${JSON.stringify(out.filter(([k]) => own.has(k)))}`);
      // a single valid traceparent (by the reference validator) is the authority: continued
      const tps = lower(headers).filter(([k]) => k === 'traceparent');
      const inTp = tps.length === 1 ? refTraceparent(tps[0]![1].trim()) : null;
      const propagatesW3C = !('propagation' in config) || (config.propagation as readonly string[]).includes('tracecontext') || inTp !== null;
      if (inTp && propagatesW3C) {
        const outTp = refTraceparent(values(out, 'traceparent')[0] ?? '');
        if (!outTp || outTp.traceId !== inTp.traceId || outTp.spanId !== inTp.spanId) throw new Error(`valid traceparent not continued at ${where()}`);
      }
      expect(values(out, kindHeader), where()).toEqual(direction ? [direction === 'inbound' ? 'server' : 'client'] : []);
      expect(values(out, directionHeader), where()).toEqual(direction ? [direction] : []);
      const ids = values(out, 'x-request-id');
      const inIds = values(lower(headers), 'x-request-id');
      if (inIds.length && inIds[0] !== '') expect(ids, where()).toEqual(inIds);
      else if (generateId) expect(ids.length === 1 && UUID_V4.test(ids[0]!), where()).toBe(true); // missing or empty: replaced
      else expect(ids, where()).toEqual(inIds);
      const others = (h: HeaderList) => lower(h).filter(([k]) => !own.has(k));
      expect(others(out), where()).toEqual(others(headers));
    }
    expect(host.metric('meshtrace_filter_errors_total')?.value).toBe(0n);
    const m = host.metricValues();
    expect(m.meshtrace_requests_inbound_total! + m.meshtrace_requests_outbound_total! + m.meshtrace_requests_unknown_direction_total!).toBe(BigInt(REQUESTS_PER_CONFIG));
    // the generator really explores: every kind of invalid header and every direction occurred often
    for (const k of ['traceparent', 'tracestate', 'b3', 'b3multi']) expect(m[`meshtrace_invalid_${k}_total`]!, k).toBeGreaterThan(100n);
    for (const k of ['inbound', 'outbound', 'unknown_direction']) expect(m[`meshtrace_requests_${k}_total`]!, k).toBeGreaterThan(300n);
    if (i < 3) expect(m.meshtrace_contexts_converted_total!).toBeGreaterThan(300n);
  }, 120_000);
});
