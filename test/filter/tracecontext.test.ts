/**
 * Trace-context rules end to end: request headers in, forwarded headers out, through the real
 * build/meshtrace-filter.wasm. Each case states the exact context headers the upstream must see
 * (absent names must be absent), worked out from W3C Trace Context / B3; every output is also
 * checked by the reference validator in helpers.ts.
 */
import { describe, expect, it } from 'vitest';
import type { HeaderList } from '../../host/index.js';
import { filterHost, contextOf, contextProblems, request, type ContextName } from './helpers.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const T64 = 'a3ce929d0e0e4736';
const P = 'b7ad6b7169203331';
const T2 = '0af7651916cd43dd8448eb211c80319c';
const S2 = 'b9c7c989f97918e1';
const TP = `00-${T}-${S}-01`;

type Ctx = Partial<Record<ContextName, string>>;
interface Case {
  name: string;
  in: HeaderList;
  propagation?: string[];
  out: Ctx;
  /** which invalid-header counters must have moved */
  invalid?: Array<'traceparent' | 'tracestate' | 'b3' | 'b3multi'>;
  converted?: boolean;
}

const multi = (t: string, s: string, sampled?: string, parent?: string, flags?: string): Ctx => ({
  'x-b3-traceid': t, 'x-b3-spanid': s,
  ...(parent ? { 'x-b3-parentspanid': parent } : {}),
  ...(sampled !== undefined ? { 'x-b3-sampled': sampled } : {}),
  ...(flags ? { 'x-b3-flags': flags } : {}),
});

const many = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v${i}`).join(',');

const cases: Case[] = [
  // --- W3C traceparent: valid forms
  { name: 'valid sampled traceparent: kept, X-B3-* (default propagation) added in agreement', in: [['traceparent', TP]], out: { traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'valid unsampled traceparent → X-B3-Sampled 0', in: [['traceparent', `00-${T}-${S}-00`]], out: { traceparent: `00-${T}-${S}-00`, ...multi(T, S, '0') }, converted: true },
  { name: 'Level 2 random flag (02) is kept', in: [['traceparent', `00-${T}-${S}-03`]], out: { traceparent: `00-${T}-${S}-03`, ...multi(T, S, '1') }, converted: true },
  { name: 'reserved flag bits are cleared when forwarded', in: [['traceparent', `00-${T}-${S}-09`]], out: { traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'a higher version is parsed by its first 55 chars and forwarded as version 00', in: [['traceparent', `01-${T}-${S}-01-future`]], out: { traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'surrounding whitespace is accepted and removed', in: [['traceparent', `  ${TP}\t`]], out: { traceparent: TP, ...multi(T, S, '1') }, converted: true },
  // --- W3C traceparent: invalid forms (removed; nothing valid → nothing added)
  { name: 'version ff is invalid', in: [['traceparent', `ff-${T}-${S}-01`]], out: {}, invalid: ['traceparent'] },
  { name: 'version 00 longer than 55 chars is invalid', in: [['traceparent', `${TP}-x`]], out: {}, invalid: ['traceparent'] },
  { name: 'a higher version without "-" after 55 chars is invalid', in: [['traceparent', `01-${T}-${S}-01x`]], out: {}, invalid: ['traceparent'] },
  { name: 'upper-case hex is invalid', in: [['traceparent', `00-${T.toUpperCase()}-${S}-01`]], out: {}, invalid: ['traceparent'] },
  { name: 'all-zero trace ID is invalid', in: [['traceparent', `00-${'0'.repeat(32)}-${S}-01`]], out: {}, invalid: ['traceparent'] },
  { name: 'all-zero parent ID is invalid', in: [['traceparent', `00-${T}-${'0'.repeat(16)}-01`]], out: {}, invalid: ['traceparent'] },
  { name: 'short trace ID is invalid', in: [['traceparent', `00-${T.slice(1)}-${S}-01`]], out: {}, invalid: ['traceparent'] },
  { name: 'non-hex flags are invalid', in: [['traceparent', `00-${T}-${S}-0g`]], out: {}, invalid: ['traceparent'] },
  { name: 'two traceparent headers are invalid (the trace restarts)', in: [['traceparent', TP], ['traceparent', `00-${T2}-${S2}-01`]], out: {}, invalid: ['traceparent'] },
  // --- tracestate
  { name: 'valid tracestate beside a valid traceparent is kept', in: [['traceparent', TP], ['tracestate', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7']], out: { traceparent: TP, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', ...multi(T, S, '1') }, converted: true },
  { name: 'multi-tenant key and optional whitespace around members', in: [['traceparent', TP], ['tracestate', 'tenant@system=x , a=b\t,']], out: { traceparent: TP, tracestate: 'tenant@system=x , a=b\t,', ...multi(T, S, '1') }, converted: true },
  { name: 'two tracestate headers are one list', in: [['traceparent', TP], ['tracestate', 'a=1'], ['tracestate', 'b=2']], out: { traceparent: TP, tracestate: 'a=1,b=2', ...multi(T, S, '1') }, converted: true },
  { name: '32 members are allowed', in: [['traceparent', TP], ['tracestate', many(32)]], out: { traceparent: TP, tracestate: many(32), ...multi(T, S, '1') }, converted: true },
  { name: '33 members make tracestate invalid (dropped, not truncated)', in: [['traceparent', TP], ['tracestate', many(33)]], out: { traceparent: TP, ...multi(T, S, '1') }, invalid: ['tracestate'], converted: true },
  { name: 'upper-case key is invalid', in: [['traceparent', TP], ['tracestate', 'Foo=bar']], out: { traceparent: TP, ...multi(T, S, '1') }, invalid: ['tracestate'], converted: true },
  { name: '"=" inside a value is invalid', in: [['traceparent', TP], ['tracestate', 'a=b=c']], out: { traceparent: TP, ...multi(T, S, '1') }, invalid: ['tracestate'], converted: true },
  { name: 'a repeated key is kept, its repeats dropped (Level 2)', in: [['traceparent', TP], ['tracestate', 'a=1,b=2,a=3']], out: { traceparent: TP, tracestate: 'a=1,b=2', ...multi(T, S, '1') }, converted: true },
  { name: 'value longer than 256 chars is invalid', in: [['traceparent', TP], ['tracestate', `a=${'x'.repeat(257)}`]], out: { traceparent: TP, ...multi(T, S, '1') }, invalid: ['tracestate'], converted: true },
  { name: 'tracestate without traceparent is dropped', in: [['tracestate', 'a=1']], out: {} },
  { name: 'tracestate beside an invalid traceparent is dropped', in: [['traceparent', 'garbage'], ['tracestate', 'a=1']], out: {}, invalid: ['traceparent'] },
  // --- B3 single
  { name: 'b3 single → traceparent and X-B3-* written from it; b3 itself kept', in: [['b3', `${T}-${S}-1`]], out: { b3: `${T}-${S}-1`, traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'b3 with a 64-bit trace ID: traceparent left-pads it, X-B3-TraceId keeps its width', in: [['b3', `${T64}-${S}-0`]], out: { b3: `${T64}-${S}-0`, traceparent: `00-${'0'.repeat(16)}${T64}-${S}-00`, ...multi(T64, S, '0') }, converted: true },
  { name: 'b3 debug → sampled traceparent, X-B3-Flags 1 without X-B3-Sampled', in: [['b3', `${T}-${S}-d`]], out: { b3: `${T}-${S}-d`, traceparent: TP, ...multi(T, S, undefined, undefined, '1') }, converted: true },
  { name: 'b3 parent span ID carried to X-B3-ParentSpanId', in: [['b3', `${T}-${S}-1-${P}`]], out: { b3: `${T}-${S}-1-${P}`, traceparent: TP, ...multi(T, S, '1', P) }, converted: true },
  { name: 'sampling-only b3 alone is left alone (no context to continue)', in: [['b3', '0']], out: { b3: '0' } },
  { name: 'upper-case b3 is invalid and removed', in: [['b3', `${T.toUpperCase()}-${S}-1`]], out: {}, invalid: ['b3'] },
  { name: 'b3 with a bad sampling state is invalid', in: [['b3', `${T}-${S}-x`]], out: {}, invalid: ['b3'] },
  { name: 'b3 propagation only: traceparent authority kept, b3 added, stale X-B3-* removed', propagation: ['b3'], in: [['traceparent', TP], ['x-b3-traceid', T2], ['x-b3-spanid', S2]], out: { traceparent: TP, b3: `${T}-${S}-1` }, converted: true },
  // --- B3 multi
  { name: 'X-B3-* → traceparent added', in: [['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-sampled', '1']], out: { traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'legacy X-B3-Sampled true is rewritten as 1', in: [['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-sampled', 'true']], out: { traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'X-B3-TraceId without X-B3-SpanId is invalid: the set is removed', in: [['x-b3-traceid', T], ['x-b3-sampled', '1']], out: {}, invalid: ['b3multi'] },
  { name: 'X-B3-Sampled 2 is invalid', in: [['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-sampled', '2']], out: {}, invalid: ['b3multi'] },
  { name: 'repeated X-B3-TraceId: the first value counts, only it goes on', in: [['x-b3-traceid', T], ['x-b3-traceid', T2], ['x-b3-spanid', S]], out: { traceparent: `00-${T}-${S}-00`, ...multi(T, S) }, converted: true },
  // --- authority and agreement
  { name: 'traceparent wins over contradicting X-B3-*, which are overwritten', in: [['traceparent', TP], ['x-b3-traceid', T2], ['x-b3-spanid', S2], ['x-b3-sampled', '0']], out: { traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'agreeing traceparent and X-B3-* are left as they are', in: [['traceparent', TP], ...Object.entries(multi(T, S, '1', P)) as HeaderList], out: { traceparent: TP, ...multi(T, S, '1', P) } },
  { name: 'invalid traceparent + valid X-B3-*: traceparent rewritten from B3, tracestate dropped', in: [['traceparent', 'bogus'], ['tracestate', 'a=1'], ['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-sampled', '1']], out: { traceparent: TP, ...multi(T, S, '1') }, invalid: ['traceparent'], converted: true },
  { name: 'b3 single is preferred over X-B3-* when there is no traceparent', propagation: ['tracecontext', 'b3', 'b3multi'], in: [['b3', `${T}-${S}-1`], ['x-b3-traceid', T2], ['x-b3-spanid', S2]], out: { b3: `${T}-${S}-1`, traceparent: TP, ...multi(T, S, '1') }, converted: true },
  { name: 'all three formats configured from a traceparent', propagation: ['tracecontext', 'b3', 'b3multi'], in: [['traceparent', `00-${T}-${S}-00`]], out: { traceparent: `00-${T}-${S}-00`, b3: `${T}-${S}-0`, ...multi(T, S, '0') }, converted: true },
  { name: 'propagation [] adds nothing but still removes invalid headers', propagation: [], in: [['traceparent', TP], ['b3', 'nonsense']], out: { traceparent: TP }, invalid: ['b3'] },
];

describe('trace context end to end (real .wasm)', () => {
  it.each(cases)('$name', (c) => {
    const host = filterHost(c.propagation ? { propagation: c.propagation } : {});
    const r = request(host, [[':path', '/'], ['x-request-id', 'id-1'], ...c.in]);
    expect(contextOf(r.requestHeaders)).toEqual(c.out);
    expect(contextProblems(r.requestHeaders)).toEqual([]);
    for (const kind of ['traceparent', 'tracestate', 'b3', 'b3multi'] as const) {
      expect(host.metric(`meshtrace_invalid_${kind}_total`)?.value, kind).toBe((c.invalid ?? []).includes(kind) ? 1n : 0n);
    }
    expect(host.metric('meshtrace_contexts_converted_total')?.value).toBe(c.converted ? 1n : 0n);
    // the other headers pass untouched
    expect(r.requestHeaders.filter(([k]) => k === ':path' || k === 'x-request-id')).toEqual([[':path', '/'], ['x-request-id', 'id-1']]);
  });

  it('the reference validator itself rejects what it must (so the checks above can fail)', () => {
    expect(contextProblems([['traceparent', `00-${T}-${S}-01`], ['x-b3-traceid', T2], ['x-b3-spanid', S]])).toContain('traceparent and b3multi disagree on the trace ID');
    expect(contextProblems([['tracestate', 'a=1']])).toContain('tracestate without a valid traceparent');
    expect(contextProblems([['traceparent', `00-${T}-${S}-05`]]).length).toBe(1);
    expect(contextProblems([['b3', `${T}-${S}-1`], ['x-b3-traceid', T], ['x-b3-spanid', S], ['x-b3-sampled', '0']])).toContain('b3 and b3multi disagree on sampling');
    expect(contextProblems([['traceparent', TP], ['traceparent', TP]])).toContain('traceparent forwarded 2 times');
  });
});
