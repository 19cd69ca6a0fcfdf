/**
 * Trace-context cases ported, as facts (input headers → expected outcome), from the suites the
 * common implementations are checked against, and run through the real build/meshtrace-filter.wasm:
 *
 * - w3c/trace-context test/test.py (Level 2, STRICT_LEVEL 2): TraceContextTest. The suite drives
 *   a TRACER: it expects a new trace ID when the traceparent is invalid and a new parent-id when
 *   it is valid. The filter is not a tracer (Envoy's tracer starts the span before any filter
 *   runs): where test.py expects a new trace, the filter removes the invalid header and lets
 *   the tracer start it; where it expects a new parent-id, the filter forwards the context it
 *   received. Those rows say so in `tracer`. AdvancedTest (several callbacks) only makes sense
 *   for a tracer that starts spans and is not ported.
 * - openzipkin/brave B3SingleFormatTest (parseB3SingleFormat): which `b3` values are contexts,
 *   sampling decisions, or malformed.
 * - open-telemetry/opentelemetry-js propagator-b3 B3MultiPropagator.test.ts (extract): which
 *   X-B3-* sets are contexts, with which sampling, and which are dropped.
 *
 * Every output is also checked by the reference validator in helpers.ts.
 */
import { describe, expect, it } from 'vitest';
import type { HeaderList } from '../../host/index.js';
import { filterHost, contextOf, contextProblems, request, values, type ContextName } from './helpers.js';

type Ctx = Partial<Record<ContextName, string>>;
interface Case { name: string; in: HeaderList; out: Ctx; tracer?: string; also?: HeaderList }

const T = '12345678901234567890123456789012';
const P = '1234567890123456';
const TP00 = `00-${T}-${P}-00`;
const TP01 = `00-${T}-${P}-01`;
const NEW_TRACE = 'test.py expects a new trace ID: the filter removes the header, Envoy\'s tracer starts the trace';
const NEW_PARENT = 'test.py expects a new parent-id: Envoy\'s span gets it when the router forwards; the filter forwards the context as received';
const NEW_TRACE_ALWAYS = 'test.py expects a traceparent in any case: Envoy\'s tracer adds it';

const invalidTp = (name: string, value: string): Case => ({ name, in: [['traceparent', value]], out: {}, tracer: NEW_TRACE });
const tpWith = (tracestate: string | string[], extra: HeaderList = []): HeaderList =>
  [['traceparent', TP00], ...(Array.isArray(tracestate) ? tracestate : [tracestate]).map((v) => ['tracestate', v] as [string, string]), ...extra];

const keyWithoutVendor = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
const keyWithVendor = `${keyWithoutVendor}@a-z0-9_-*/`;
let allValueChars = '';
for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) allValueChars += String.fromCharCode(c);
const bars = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `bar${String(from + i).padStart(2, '0')}=${String(from + i).padStart(2, '0')}`).join(',');

// W3C test/test.py TraceContextTest, with the filter configured for W3C only (propagation: [tracecontext]).
const w3c: Case[] = [
  { name: 'test_both_traceparent_and_tracestate_missing', in: [], out: {}, tracer: NEW_TRACE_ALWAYS },
  { name: 'test_traceparent_included_tracestate_missing', in: [['traceparent', TP01]], out: { traceparent: TP01 }, tracer: NEW_PARENT },
  { name: 'test_traceparent_duplicated', in: [['traceparent', `00-${T.slice(0, 31)}1-${P}-01`], ['traceparent', TP01]], out: {}, tracer: NEW_TRACE },
  { name: 'test_traceparent_header_name: trace-parent is not traceparent', in: [['trace-parent', TP01]], out: {}, tracer: NEW_TRACE, also: [['trace-parent', TP01]] },
  { name: 'test_traceparent_header_name: trace.parent is not traceparent', in: [['trace.parent', TP01]], out: {}, tracer: NEW_TRACE, also: [['trace.parent', TP01]] },
  { name: 'test_traceparent_header_name_valid_casing: TraceParent', in: [['TraceParent', TP01]], out: { traceparent: TP01 } },
  { name: 'test_traceparent_header_name_valid_casing: TrAcEpArEnT', in: [['TrAcEpArEnT', TP01]], out: { traceparent: TP01 } },
  { name: 'test_traceparent_header_name_valid_casing: TRACEPARENT', in: [['TRACEPARENT', TP01]], out: { traceparent: TP01 } },
  invalidTp('test_traceparent_version_0x00: trailing "."', `${TP01}.`),
  invalidTp('test_traceparent_version_0x00: trailing "-what-the-future-will-be-like"', `${TP01}-what-the-future-will-be-like`),
  { name: 'test_traceparent_version_0xcc: read by its first 55 chars, forwarded as version 00', in: [['traceparent', `cc-${T}-${P}-01`]], out: { traceparent: TP01 } },
  { name: 'test_traceparent_version_0xcc: with a future "-" suffix', in: [['traceparent', `cc-${T}-${P}-01-what-the-future-will-be-like`]], out: { traceparent: TP01 } },
  invalidTp('test_traceparent_version_0xcc: "." after 55 chars is invalid', `cc-${T}-${P}-01.what-the-future-will-be-like`),
  invalidTp('test_traceparent_version_0xff', `ff-${T}-${P}-01`),
  invalidTp('test_traceparent_version_illegal_characters: .0', `.0-${T}-${P}-01`),
  invalidTp('test_traceparent_version_illegal_characters: 0.', `0.-${T}-${P}-01`),
  invalidTp('test_traceparent_version_too_long: 000', `000-${T}-${P}-01`),
  invalidTp('test_traceparent_version_too_long: 0000', `0000-${T}-${P}-01`),
  invalidTp('test_traceparent_version_too_short', `0-${T}-${P}-01`),
  invalidTp('test_traceparent_trace_id_all_zero', `00-${'0'.repeat(32)}-${P}-01`),
  invalidTp('test_traceparent_trace_id_illegal_characters: leading "."', `00-.${T.slice(1)}-${P}-01`),
  invalidTp('test_traceparent_trace_id_illegal_characters: trailing "."', `00-${T.slice(0, 31)}.-${P}-01`),
  invalidTp('test_traceparent_trace_id_too_long', `00-${T}3-${P}-01`),
  invalidTp('test_traceparent_trace_id_too_short', `00-${T.slice(0, 31)}-${P}-01`),
  invalidTp('test_traceparent_parent_id_all_zero', `00-${T}-${'0'.repeat(16)}-01`),
  invalidTp('test_traceparent_parent_id_illegal_characters: leading "."', `00-${T}-.${P.slice(1)}-01`),
  invalidTp('test_traceparent_parent_id_illegal_characters: trailing "."', `00-${T}-${P.slice(0, 15)}.-01`),
  invalidTp('test_traceparent_parent_id_too_long', `00-${T}-${P}7-01`),
  invalidTp('test_traceparent_parent_id_too_short', `00-${T}-${P.slice(0, 15)}-01`),
  invalidTp('test_traceparent_trace_flags_illegal_characters: .0', `00-${T}-${P}-.0`),
  invalidTp('test_traceparent_trace_flags_illegal_characters: 0.', `00-${T}-${P}-0.`),
  invalidTp('test_traceparent_trace_flags_too_long', `00-${T}-${P}-001`),
  invalidTp('test_traceparent_trace_flags_too_short', `00-${T}-${P}-1`),
  ...[' ', '\t', 'TRAIL ', 'TRAIL\t', '\t  \t'].map((ows): Case => ({
    name: `test_traceparent_ows_handling: ${JSON.stringify(ows)}`,
    in: [['traceparent', ows.startsWith('TRAIL') ? `${TP01}${ows.slice(5)}` : ows === '\t  \t' ? `\t ${TP01} \t` : `${ows}${TP01}`]],
    out: { traceparent: TP01 },
  })),
  { name: 'test_tracestate_included_traceparent_missing: foo=1', in: [['tracestate', 'foo=1']], out: {}, tracer: NEW_TRACE_ALWAYS },
  { name: 'test_tracestate_included_traceparent_missing: foo=1,bar=2', in: [['tracestate', 'foo=1,bar=2']], out: {}, tracer: NEW_TRACE_ALWAYS },
  { name: 'test_tracestate_included_traceparent_included', in: tpWith('foo=1,bar=2'), out: { traceparent: TP00, tracestate: 'foo=1,bar=2' } },
  { name: 'test_tracestate_header_name: trace-state is not tracestate', in: [['traceparent', TP00], ['trace-state', 'foo=1']], out: { traceparent: TP00 }, also: [['trace-state', 'foo=1']] },
  { name: 'test_tracestate_header_name: trace.state is not tracestate', in: [['traceparent', TP00], ['trace.state', 'foo=1']], out: { traceparent: TP00 }, also: [['trace.state', 'foo=1']] },
  ...['TraceState', 'TrAcEsTaTe', 'TRACESTATE'].map((n): Case => ({ name: `test_tracestate_header_name_valid_casing: ${n}`, in: [['traceparent', TP00], [n, 'foo=1']], out: { traceparent: TP00, tracestate: 'foo=1' } })),
  { name: 'test_tracestate_empty_header: empty', in: tpWith(''), out: { traceparent: TP00, tracestate: '' } },
  { name: 'test_tracestate_empty_header: foo=1 then empty', in: tpWith(['foo=1', '']), out: { traceparent: TP00, tracestate: 'foo=1,' } },
  { name: 'test_tracestate_empty_header: empty then foo=1', in: tpWith(['', 'foo=1']), out: { traceparent: TP00, tracestate: ',foo=1' } },
  { name: 'test_tracestate_multiple_headers_different_keys: one list, in order', in: tpWith(['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3']), out: { traceparent: TP00, tracestate: 'foo=1,bar=2,rojo=1,congo=2,baz=3' } },
  { name: 'test_tracestate_duplicated_keys (Level 2): foo=1,foo=1 → foo=1', in: tpWith('foo=1,foo=1'), out: { traceparent: TP00, tracestate: 'foo=1' } },
  { name: 'test_tracestate_duplicated_keys (Level 2): foo=1,foo=2 → foo=1', in: tpWith('foo=1,foo=2'), out: { traceparent: TP00, tracestate: 'foo=1' } },
  { name: 'test_tracestate_duplicated_keys (Level 2): two headers foo=1, foo=1', in: tpWith(['foo=1', 'foo=1']), out: { traceparent: TP00, tracestate: 'foo=1' } },
  { name: 'test_tracestate_duplicated_keys (Level 2): two headers foo=1, foo=2', in: tpWith(['foo=1', 'foo=2']), out: { traceparent: TP00, tracestate: 'foo=1' } },
  { name: 'test_tracestate_all_allowed_characters: key without vendor', in: tpWith(`${keyWithoutVendor}=${allValueChars}`), out: { traceparent: TP00, tracestate: `${keyWithoutVendor}=${allValueChars}` } },
  { name: 'test_tracestate_all_allowed_characters: key with vendor', in: tpWith(`${keyWithVendor}=${allValueChars}`), out: { traceparent: TP00, tracestate: `${keyWithVendor}=${allValueChars}` } },
  ...['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3', ' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t'].map((v): Case => ({
    name: `test_tracestate_ows_handling: ${JSON.stringify(v)}`, in: tpWith(v), out: { traceparent: TP00, tracestate: v },
  })),
  ...['foo =1', 'FOO=1', 'foo.bar=1'].map((v): Case => ({ name: `test_tracestate_key_illegal_characters: ${v}`, in: tpWith(v), out: { traceparent: TP00 } })),
  ...['foo@=1,bar=2', '@foo=1,bar=2', 'foo@@bar=1,bar=2', 'foo@bar@baz=1,bar=2'].map((v): Case => ({ name: `test_tracestate_key_illegal_vendor_format: ${v}`, in: tpWith(v), out: { traceparent: TP00 } })),
  { name: 'test_tracestate_member_count_limit: 32 members over 4 headers', in: tpWith([bars(1, 10), bars(11, 20), bars(21, 30), bars(31, 32)]), out: { traceparent: TP00, tracestate: bars(1, 32) } },
  { name: 'test_tracestate_member_count_limit: 33 members', in: tpWith([bars(1, 10), bars(11, 20), bars(21, 30), bars(31, 33)]), out: { traceparent: TP00 } },
  { name: 'test_tracestate_key_length_limit: key of 256', in: tpWith(['foo=1', `${'z'.repeat(256)}=1`]), out: { traceparent: TP00, tracestate: `foo=1,${'z'.repeat(256)}=1` } },
  { name: 'test_tracestate_key_length_limit: key of 257', in: tpWith(['foo=1', `${'z'.repeat(257)}=1`]), out: { traceparent: TP00 } },
  { name: 'test_tracestate_key_length_limit: tenant 241, system 14', in: tpWith(['foo=1', `${'t'.repeat(241)}@${'v'.repeat(14)}=1`]), out: { traceparent: TP00, tracestate: `foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1` } },
  { name: 'test_tracestate_key_length_limit: tenant 242', in: tpWith(['foo=1', `${'t'.repeat(242)}@v=1`]), out: { traceparent: TP00 } },
  { name: 'test_tracestate_key_length_limit: system 15', in: tpWith(['foo=1', `t@${'v'.repeat(15)}=1`]), out: { traceparent: TP00 } },
];

// brave B3SingleFormatTest (parseB3SingleFormat), filter configured [tracecontext, b3]:
// a context → kept, traceparent written from it; a sampling decision → left alone; malformed → removed.
const bT = '0000000000000001';
const bHigh = '0000000000000009';
const bP = '0000000000000002';
const bS = '0000000000000003';
const pad = (t: string) => t.padStart(32, '0');
const context = (b3: string, trace: string, sampled: '00' | '01'): Case => ({ name: '', in: [['b3', b3]], out: { b3, traceparent: `00-${pad(trace)}-${bS}-${sampled}` } });
const malformed = (b3: string): Case => ({ name: '', in: [['b3', b3]], out: {} });
const brave: Array<[string, Case]> = [
  ['parseB3SingleFormat_idsNotYetSampled', context(`${bT}-${bS}`, bT, '00')],
  ['parseB3SingleFormat_idsNotYetSampled128', context(`${bT}${bT}-${bS}`, `${bT}${bT}`, '00')],
  ['parseB3SingleFormat_idsUnsampled', context(`${bT}-${bS}-0`, bT, '00')],
  ['parseB3SingleFormat_parent_unsampled', context(`${bT}-${bS}-0-${bP}`, bT, '00')],
  ['parseB3SingleFormat_parent_debug', context(`${bT}-${bS}-d-${bP}`, bT, '01')],
  ['parseB3SingleFormat_idsWithDebug', context(`${bT}-${bS}-d`, bT, '01')],
  ['parseB3SingleFormat_largest', context(`${bHigh}${bT}-${bS}-1-${bP}`, `${bHigh}${bT}`, '01')],
  ['parseB3SingleFormat_parentid_notYetSampled', context(`${bT}-${bS}-${bP}`, bT, '00')],
  ['parseB3SingleFormat_sampledFalse (a decision, no IDs: left alone)', { name: '', in: [['b3', '0']], out: { b3: '0' } }],
  ['parseB3SingleFormat_sampled', { name: '', in: [['b3', '1']], out: { b3: '1' } }],
  ['parseB3SingleFormat_debug', { name: '', in: [['b3', 'd']], out: { b3: 'd' } }],
  ['parseB3SingleFormat_malformed_traceId', malformed(`${bT.slice(0, 15)}?-${bS}`)],
  ['parseB3SingleFormat_malformed_id', malformed(`${bT}-${bS.slice(0, 15)}?`)],
  ['parseB3SingleFormat_malformed_sampled_parentid', malformed(`${bT}-${bS}-1-${bP.slice(0, 15)}?`)],
  ['parseB3SingleFormat_malformed_invalid_delimiter_before_parent', malformed(`${bT}-${bS}-1!${bP}`)],
  ['parseB3SingleFormat_malformed_parentid_notYetSampled', malformed(`${bT}-${bS}-${bP.slice(0, 15)}?`)],
  ['parseB3SingleFormat_malformed', malformed('not-a-tumor')],
  ['parseB3SingleFormat_malformed_uuid', malformed('b970dafd-0d95-40aa-95d8-1d8725aebe40')],
  ['parseB3SingleFormat_empty', malformed('')],
  ['parseB3SingleFormat_hyphenNotSampled', malformed('-')],
  ...['-1', '1-', bT.slice(0, 15), bT, `${bT}-`, `${bT.slice(0, 15)}-${bS}`, `${bT}-${bS.slice(0, 15)}`, `${bT}-${bS}-`, `${bT}-${bS}-1-`, `${bT}-${bS}-1-${bP.slice(0, 15)}`]
    .map((v, i): [string, Case] => [`parseB3SingleFormat_truncated #${i + 1}: ${v}`, malformed(v)]),
  ['parseB3SingleFormat_traceIdTooLong', malformed(`${bT}${bT}a-${bS}`)],
  ['parseB3SingleFormat_spanIdTooLong', malformed(`${bT}-${bS}a`)],
  ['parseB3SingleFormat_parentIdTooLong', malformed(`${bT}-${bS}-${bP}a`)],
];

// OpenTelemetry JS B3MultiPropagator.test.ts (extract), filter configured [tracecontext, b3multi]:
// a context → traceparent written with its sampling; dropped → the X-B3 set removed.
const oT = '0af7651916cd43dd8448eb211c80319c';
const oS = 'b7ad6b7169203331';
const multiIn = (extra: HeaderList): HeaderList => [['x-b3-traceid', oT], ['x-b3-spanid', oS], ...extra];
const otel: Array<{ name: string; in: HeaderList; out: Ctx }> = [
  { name: 'sampled flag is 1 → sampled', in: multiIn([['x-b3-sampled', '1']]), out: { traceparent: `00-${oT}-${oS}-01`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '1' } },
  { name: 'sampled flag is true → sampled (rewritten 1)', in: multiIn([['x-b3-sampled', 'true']]), out: { traceparent: `00-${oT}-${oS}-01`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '1' } },
  { name: 'sampled flag is false → not sampled (rewritten 0)', in: multiIn([['x-b3-sampled', 'false']]), out: { traceparent: `00-${oT}-${oS}-00`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '0' } },
  { name: 'debug flag is 1 → sampled, debug', in: multiIn([['x-b3-flags', '1']]), out: { traceparent: `00-${oT}-${oS}-01`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-flags': '1' } },
  { name: 'debug flag is 0 (ignored) with sampled 1', in: multiIn([['x-b3-flags', '0'], ['x-b3-sampled', '1']]), out: { traceparent: `00-${oT}-${oS}-01`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '1' } },
  { name: 'debug flag is false (ignored) with sampled 0', in: multiIn([['x-b3-flags', 'false'], ['x-b3-sampled', '0']]), out: { traceparent: `00-${oT}-${oS}-00`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '0' } },
  { name: 'debug flag is true (ignored) with sampled 0', in: multiIn([['x-b3-flags', 'true'], ['x-b3-sampled', '0']]), out: { traceparent: `00-${oT}-${oS}-00`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '0' } },
  { name: 'debug flag is 3 (ignored) with sampled 0', in: multiIn([['x-b3-flags', '3'], ['x-b3-sampled', '0']]), out: { traceparent: `00-${oT}-${oS}-00`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '0' } },
  { name: 'traceId is undefined → dropped', in: [['x-b3-spanid', oS]], out: {} },
  { name: 'spanId is undefined → dropped', in: [['x-b3-traceid', oT]], out: {} },
  { name: 'sample is 2 → dropped', in: multiIn([['x-b3-sampled', '2']]), out: {} },
  { name: 'trace id is invalid → dropped', in: [['x-b3-traceid', 'invalid!'], ['x-b3-spanid', oS]], out: {} },
  { name: 'extracts b3 from a list of headers (the first value)', in: [['x-b3-traceid', oT], ['x-b3-traceid', '80f198ee56343ba864fe8b2a57d3eff7'], ['x-b3-spanid', oS], ['x-b3-sampled', '1']], out: { traceparent: `00-${oT}-${oS}-01`, 'x-b3-traceid': oT, 'x-b3-spanid': oS, 'x-b3-sampled': '1' } },
  { name: 'left-pads 64-bit trace IDs with 0', in: [['x-b3-traceid', '8448eb211c80319c'], ['x-b3-spanid', oS], ['x-b3-sampled', '1']], out: { traceparent: `00-00000000000000008448eb211c80319c-${oS}-01`, 'x-b3-traceid': '8448eb211c80319c', 'x-b3-spanid': oS, 'x-b3-sampled': '1' } },
  ...Object.entries({
    invalidParts_tooShort: '00-ffffffffffffffffffffffffffffffff',
    invalidParts_tooLong: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-00-01',
    invalidVersion_notHex: '0x-ffffffffffffffffffffffffffffffff-ffffffffffffffff-00',
    invalidTraceId_empty: '00--ffffffffffffffff-01',
    invalidTraceId_allZeros: '00-00000000000000000000000000000000-ffffffffffffffff-01',
    invalidSpanId_allZeros: '00-ffffffffffffffffffffffffffffffff-0000000000000000-01',
  }).map(([name, traceId]) => ({ name: `invalid b3 header as X-B3-TraceId: ${name} → dropped`, in: [['x-b3-traceid', traceId], ['x-b3-spanid', oS]] as HeaderList, out: {} })),
];

function run(propagation: string[], c: { in: HeaderList; out: Ctx; also?: HeaderList }) {
  const host = filterHost({ propagation, generate_request_id: false });
  const r = request(host, [[':path', '/'], ...c.in]);
  expect(contextOf(r.requestHeaders)).toEqual(c.out);
  expect(contextProblems(r.requestHeaders)).toEqual([]);
  for (const [name, value] of c.also ?? []) expect(values(r.requestHeaders, name)).toEqual([value]);
}

describe('w3c/trace-context test/test.py (Level 2), at the filter', () => {
  it.each(w3c)('$name', (c) => run(['tracecontext'], c));
});

describe('brave B3SingleFormatTest, at the filter', () => {
  it.each(brave.map(([name, c]) => ({ ...c, name })))('$name', (c) => run(['tracecontext', 'b3'], c));
});

describe('OpenTelemetry JS B3MultiPropagator extract, at the filter', () => {
  it.each(otel)('$name', (c) => run(['tracecontext', 'b3multi'], c));
});

// The deny precedence (docs/filter.md): an explicit B3 deny about the same request wins over an
// accept anywhere; b3 is read before X-B3-*, as brave and OpenTelemetry read them.
const dT = '4bf92f3577b34da6a3ce929d0e0e4736';
const dS = '00f067aa0ba902b7';
const deny: Array<{ name: string; propagation: string[]; in: HeaderList; out: Ctx }> = [
  { name: 'b3: 0 with a sampled X-B3 set: not sampled everywhere', propagation: ['tracecontext', 'b3', 'b3multi'],
    in: [['b3', '0'], ['x-b3-traceid', dT], ['x-b3-spanid', dS], ['x-b3-sampled', '1']],
    out: { b3: `${dT}-${dS}-0`, traceparent: `00-${dT}-${dS}-00`, 'x-b3-traceid': dT, 'x-b3-spanid': dS, 'x-b3-sampled': '0' } },
  { name: 'b3: 0 with a sampled traceparent: not sampled', propagation: ['tracecontext', 'b3'],
    in: [['traceparent', `00-${dT}-${dS}-01`], ['b3', '0']], out: { traceparent: `00-${dT}-${dS}-00`, b3: `${dT}-${dS}-0` } },
  { name: 'X-B3-Sampled: 0 of the same IDs with a sampled traceparent: not sampled', propagation: ['tracecontext', 'b3multi'],
    in: [['traceparent', `00-${dT}-${dS}-01`], ['x-b3-traceid', dT], ['x-b3-spanid', dS], ['x-b3-sampled', '0']],
    out: { traceparent: `00-${dT}-${dS}-00`, 'x-b3-traceid': dT, 'x-b3-spanid': dS, 'x-b3-sampled': '0' } },
  { name: 'the random flag stays when the deny clears the sampled flag', propagation: ['tracecontext'],
    in: [['traceparent', `00-${dT}-${dS}-03`], ['b3', '0']], out: { traceparent: `00-${dT}-${dS}-02` } },
  { name: 'a deny with other IDs belongs to another trace: discarded, the traceparent\'s accept stays', propagation: ['tracecontext', 'b3multi'],
    in: [['traceparent', `00-${dT}-${dS}-01`], ['x-b3-traceid', dT], ['x-b3-spanid', 'aaaaaaaaaaaaaaaa'], ['x-b3-sampled', '0']],
    out: { traceparent: `00-${dT}-${dS}-01`, 'x-b3-traceid': dT, 'x-b3-spanid': dS, 'x-b3-sampled': '1' } },
  { name: 'an accept never overrides: b3: 1 with W3C 00 stays not sampled', propagation: ['tracecontext', 'b3'],
    in: [['traceparent', `00-${dT}-${dS}-00`], ['b3', '1']], out: { traceparent: `00-${dT}-${dS}-00`, b3: `${dT}-${dS}-0` } },
];

describe('deny precedence: an explicit deny is never turned into an accept', () => {
  it.each(deny)('$name', (c) => run(c.propagation, c));
});
