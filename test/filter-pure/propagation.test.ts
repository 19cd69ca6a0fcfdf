import { beforeAll, describe, expect, test } from 'vitest';
import { applyDecision, FORMAT, loadPureWasm, type ContextHeaders, type Decision, type PureWasm } from './pure-wasm.js';
import { forwardedProblems } from './agreement.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const P = '05e3ac9a4f6e3b90';
const T64 = 'a3ce929d0e0e4736';
const OTHER_T = '80f198ee56343ba864fe8b2a57d3eff7';
const TP = `00-${T}-${S}-01`;
const ALL = FORMAT.tracecontext | FORMAT.b3 | FORMAT.b3multi;
const DEFAULT = FORMAT.tracecontext | FORMAT.b3multi;
const INV = { traceparent: 1, tracestate: 2, b3: 4, b3multi: 8 };
const AUTH = { none: 0, tracecontext: 1, b3: 2, b3multi: 4 };

interface Case {
  name: string;
  headers: ContextHeaders;
  formats: number;
  edits: Decision['edits'];
  invalid?: number;
  converted?: boolean;
  authority: number;
  denied?: boolean;
}

const cases: Case[] = [
  // --- nothing valid arrived: leave the context alone, remove what is invalid
  { name: 'no context headers', headers: {}, formats: ALL, edits: {}, authority: AUTH.none },
  { name: 'invalid traceparent alone is removed', headers: { traceparent: `00-${T}-${S}-0x` }, formats: ALL,
    edits: { traceparent: null }, invalid: INV.traceparent, authority: AUTH.none },
  { name: 'invalid traceparent takes its tracestate with it', headers: { traceparent: 'ff-x', tracestate: 'a=1' }, formats: ALL,
    edits: { traceparent: null, tracestate: null }, invalid: INV.traceparent, authority: AUTH.none },
  { name: 'orphan tracestate is removed (not counted invalid)', headers: { tracestate: 'a=1' }, formats: ALL,
    edits: { tracestate: null }, invalid: 0, authority: AUTH.none },
  { name: 'invalid b3 alone is removed', headers: { b3: 'nope' }, formats: ALL, edits: { b3: null }, invalid: INV.b3, authority: AUTH.none },
  { name: 'invalid X-B3 set is removed as a whole', headers: { 'x-b3-traceid': T, 'x-b3-sampled': '1' }, formats: ALL,
    edits: { 'x-b3-traceid': null, 'x-b3-sampled': null }, invalid: INV.b3multi, authority: AUTH.none },
  { name: 'sampling-only b3 without a context is left alone', headers: { b3: '0' }, formats: ALL, edits: {}, authority: AUTH.none },
  { name: 'sampling-only X-B3-Sampled without a context is left alone', headers: { 'x-b3-sampled': '0' }, formats: ALL,
    edits: {}, authority: AUTH.none },
  { name: 'lone legacy X-B3-Sampled false without a context is normalised to 0', headers: { 'x-b3-sampled': 'false' }, formats: ALL,
    edits: { 'x-b3-sampled': '0' }, authority: AUTH.none },
  { name: 'lone X-B3-Sampled 0 beside the debug flag: Sampled removed', headers: { 'x-b3-sampled': '0', 'x-b3-flags': '1' }, formats: ALL,
    edits: { 'x-b3-sampled': null }, authority: AUTH.none },

  // --- a valid traceparent is the authority
  { name: 'traceparent only, default formats: X-B3 added', headers: { traceparent: TP }, formats: DEFAULT,
    edits: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, converted: true, authority: AUTH.tracecontext },
  { name: 'traceparent only, all formats', headers: { traceparent: TP }, formats: ALL,
    edits: { b3: `${T}-${S}-1`, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, converted: true, authority: AUTH.tracecontext },
  { name: 'traceparent only, tracecontext only: nothing to do', headers: { traceparent: TP }, formats: FORMAT.tracecontext,
    edits: {}, authority: AUTH.tracecontext },
  { name: 'not sampled maps to X-B3-Sampled 0 and b3 -0', headers: { traceparent: `00-${T}-${S}-00` }, formats: ALL,
    edits: { b3: `${T}-${S}-0`, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '0' }, converted: true, authority: AUTH.tracecontext },
  { name: 'random flag kept, sampled from bit 0', headers: { traceparent: `00-${T}-${S}-03` }, formats: FORMAT.tracecontext | FORMAT.b3,
    edits: { b3: `${T}-${S}-1` }, converted: true, authority: AUTH.tracecontext },
  { name: 'valid tracestate beside traceparent is kept', headers: { traceparent: TP, tracestate: 'rojo=1,congo=2' }, formats: FORMAT.tracecontext,
    edits: {}, authority: AUTH.tracecontext },
  { name: 'invalid tracestate beside valid traceparent is removed and counted', headers: { traceparent: TP, tracestate: 'Rojo=1' },
    formats: FORMAT.tracecontext, edits: { tracestate: null }, invalid: INV.tracestate, authority: AUTH.tracecontext },
  { name: 'empty tracestate is kept (valid)', headers: { traceparent: TP, tracestate: '' }, formats: FORMAT.tracecontext,
    edits: {}, authority: AUTH.tracecontext },
  { name: 'higher version downgraded to 00, tracestate kept', headers: { traceparent: `cc-${T}-${S}-01-future`, tracestate: 'a=1' },
    formats: FORMAT.tracecontext, edits: { traceparent: TP }, authority: AUTH.tracecontext },
  { name: 'reserved flags cleared, random kept', headers: { traceparent: `00-${T}-${S}-f3` }, formats: FORMAT.tracecontext,
    edits: { traceparent: `00-${T}-${S}-03` }, authority: AUTH.tracecontext },
  { name: 'whitespace around traceparent stripped', headers: { traceparent: ` ${TP}\t` }, formats: FORMAT.tracecontext,
    edits: { traceparent: TP }, authority: AUTH.tracecontext },
  { name: 'authority traceparent not configured is still kept', headers: { traceparent: TP }, formats: FORMAT.b3multi,
    edits: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, converted: true, authority: AUTH.tracecontext },
  { name: 'agreeing X-B3 kept as is', headers: { traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1' },
    formats: DEFAULT, edits: {}, authority: AUTH.tracecontext },
  { name: 'agreeing X-B3 with a ParentSpanId kept (W3C has no parent to contradict it)',
    headers: { traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-parentspanid': P, 'x-b3-sampled': '1' },
    formats: DEFAULT, edits: {}, authority: AUTH.tracecontext },
  { name: 'agreeing X-B3 with 64-bit trace ID kept when the upper half is zero',
    headers: { traceparent: `00-${'0'.repeat(16)}${T64}-${S}-01`, 'x-b3-traceid': T64, 'x-b3-spanid': S, 'x-b3-sampled': '1' },
    formats: DEFAULT, edits: {}, authority: AUTH.tracecontext },
  { name: 'agreeing debug X-B3 kept (debug is sampled)', headers: { traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' },
    formats: DEFAULT, edits: {}, authority: AUTH.tracecontext },
  { name: 'legacy X-B3-Sampled true rewritten as 1', headers: { traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': 'true' },
    formats: DEFAULT, edits: { 'x-b3-sampled': '1' }, authority: AUTH.tracecontext },
  { name: 'X-B3 with another trace ID is overwritten header by header',
    headers: { traceparent: TP, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '1' },
    formats: DEFAULT, edits: { 'x-b3-traceid': T }, converted: true, authority: AUTH.tracecontext },
  { name: 'X-B3 denying the same context: the explicit deny wins, the traceparent is rewritten 00',
    headers: { traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '0' },
    formats: DEFAULT, edits: { traceparent: `00-${T}-${S}-00` }, authority: AUTH.tracecontext, denied: true },
  { name: 'X-B3 accepting beside W3C 00: the accept does not win (only a deny overrides)',
    headers: { traceparent: `00-${T}-${S}-00`, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1' },
    formats: DEFAULT, edits: { 'x-b3-sampled': '0' }, converted: true, authority: AUTH.tracecontext },
  { name: 'X-B3 denying another trace: its deny goes with it',
    headers: { traceparent: TP, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '0' },
    formats: DEFAULT, edits: { 'x-b3-traceid': T, 'x-b3-sampled': '1' }, converted: true, authority: AUTH.tracecontext },
  { name: 'X-B3 deferring while W3C decided: Sampled added',
    headers: { traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': S }, formats: DEFAULT,
    edits: { 'x-b3-sampled': '1' }, converted: true, authority: AUTH.tracecontext },
  { name: 'X-B3 deferring beside W3C 00 agrees (both: caller did not record)',
    headers: { traceparent: `00-${T}-${S}-00`, 'x-b3-traceid': T, 'x-b3-spanid': S }, formats: DEFAULT,
    edits: {}, authority: AUTH.tracecontext },
  { name: 'W3C 00 with a deferring X-B3: b3 is written deferring too (one B3 state)',
    headers: { traceparent: `00-${T}-${S}-00`, 'x-b3-traceid': T, 'x-b3-spanid': S }, formats: ALL,
    edits: { b3: `${T}-${S}` }, converted: true, authority: AUTH.tracecontext },
  { name: 'W3C 01 with a debug b3: X-B3 written with the debug flag',
    headers: { traceparent: TP, b3: `${T}-${S}-d` }, formats: ALL,
    edits: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-flags': '1' }, converted: true, authority: AUTH.tracecontext },
  { name: 'b3 and X-B3 both agree with W3C 00 but differ (deny vs defer): b3 wins',
    headers: { traceparent: `00-${T}-${S}-00`, b3: `${T}-${S}-0`, 'x-b3-traceid': T, 'x-b3-spanid': S }, formats: ALL,
    edits: { 'x-b3-sampled': '0' }, converted: true, authority: AUTH.tracecontext },
  { name: 'b3 and X-B3 agreeing with W3C but naming different parents: b3 parent wins',
    headers: { traceparent: TP, b3: `${T}-${S}-1-${P}`, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-parentspanid': 'aaaaaaaaaaaaaaaa',
      'x-b3-sampled': '1' }, formats: ALL, edits: { 'x-b3-parentspanid': P }, converted: true, authority: AUTH.tracecontext },
  { name: 'parent from an agreeing b3 is written into X-B3',
    headers: { traceparent: TP, b3: `${T}-${S}-1-${P}` }, formats: ALL,
    edits: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-parentspanid': P, 'x-b3-sampled': '1' }, converted: true, authority: AUTH.tracecontext },
  { name: 'disagreeing X-B3 loses its parent and debug flag',
    headers: { traceparent: `00-${T}-${S}-00`, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-parentspanid': P, 'x-b3-flags': '1' },
    formats: DEFAULT, edits: { 'x-b3-traceid': T, 'x-b3-parentspanid': null, 'x-b3-sampled': '0', 'x-b3-flags': null },
    converted: true, authority: AUTH.tracecontext },
  { name: 'disagreeing X-B3 not configured is removed',
    headers: { traceparent: TP, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S }, formats: FORMAT.tracecontext,
    edits: { 'x-b3-traceid': null, 'x-b3-spanid': null }, authority: AUTH.tracecontext },
  { name: 'invalid X-B3 beside traceparent: counted, rewritten when configured',
    headers: { traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': 'zz', 'x-b3-sampled': '1' }, formats: DEFAULT,
    edits: { 'x-b3-spanid': S }, invalid: INV.b3multi, converted: true, authority: AUTH.tracecontext },
  { name: 'agreeing b3 kept', headers: { traceparent: TP, b3: `${T}-${S}-1` }, formats: FORMAT.tracecontext | FORMAT.b3,
    edits: {}, authority: AUTH.tracecontext },
  { name: 'b3 with another span ID overwritten', headers: { traceparent: TP, b3: `${T}-${P}-1` }, formats: FORMAT.tracecontext | FORMAT.b3,
    edits: { b3: `${T}-${S}-1` }, converted: true, authority: AUTH.tracecontext },
  { name: 'sampling-only b3 beside traceparent rewritten to a full context', headers: { traceparent: TP, b3: '1' },
    formats: FORMAT.tracecontext | FORMAT.b3, edits: { b3: `${T}-${S}-1` }, converted: true, authority: AUTH.tracecontext },
  { name: 'sampling-only b3: 0 beside a sampled traceparent: the deny wins; b3 (not configured) removed',
    headers: { traceparent: TP, b3: '0' }, formats: FORMAT.tracecontext,
    edits: { traceparent: `00-${T}-${S}-00`, b3: null }, authority: AUTH.tracecontext, denied: true },
  { name: 'sampling-only b3: 1 does not override W3C 00', headers: { traceparent: `00-${T}-${S}-00`, b3: '1' }, formats: FORMAT.tracecontext,
    edits: { b3: null }, authority: AUTH.tracecontext },
  { name: 'invalid b3 beside traceparent, not configured: removed and counted', headers: { traceparent: TP, b3: 'x-y' },
    formats: FORMAT.tracecontext, edits: { b3: null }, invalid: INV.b3, authority: AUTH.tracecontext },

  // --- b3 single header is the authority
  { name: 'b3 with parent → traceparent and X-B3, orphan tracestate dropped',
    headers: { b3: `${OTHER_T}-${S}-1-${P}`, tracestate: 'a=1' }, formats: DEFAULT,
    edits: { traceparent: `00-${OTHER_T}-${S}-01`, tracestate: null, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S,
      'x-b3-parentspanid': P, 'x-b3-sampled': '1' }, converted: true, authority: AUTH.b3 },
  { name: 'b3 64-bit trace ID: padded in traceparent, kept 64-bit in X-B3', headers: { b3: `${T64}-${S}-0` }, formats: DEFAULT,
    edits: { traceparent: `00-${'0'.repeat(16)}${T64}-${S}-00`, 'x-b3-traceid': T64, 'x-b3-spanid': S, 'x-b3-sampled': '0' },
    converted: true, authority: AUTH.b3 },
  { name: 'b3 deferring: traceparent 00, no X-B3-Sampled', headers: { b3: `${OTHER_T}-${S}` }, formats: DEFAULT,
    edits: { traceparent: `00-${OTHER_T}-${S}-00`, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S }, converted: true, authority: AUTH.b3 },
  { name: 'b3 debug: traceparent sampled, X-B3-Flags 1 without Sampled', headers: { b3: `${OTHER_T}-${S}-d` }, formats: DEFAULT,
    edits: { traceparent: `00-${OTHER_T}-${S}-01`, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-flags': '1' },
    converted: true, authority: AUTH.b3 },
  { name: 'invalid traceparent + valid b3: traceparent replaced, both counted',
    headers: { traceparent: `00-${'0'.repeat(32)}-${S}-01`, tracestate: 'a=1', b3: `${OTHER_T}-${S}-1` }, formats: FORMAT.tracecontext | FORMAT.b3,
    edits: { traceparent: `00-${OTHER_T}-${S}-01`, tracestate: null }, invalid: INV.traceparent, converted: true, authority: AUTH.b3 },
  { name: 'invalid traceparent + valid b3, tracecontext not configured: removed',
    headers: { traceparent: 'garbage', b3: `${OTHER_T}-${S}-1` }, formats: FORMAT.b3,
    edits: { traceparent: null }, invalid: INV.traceparent, authority: AUTH.b3 },
  { name: 'b3 and agreeing X-B3 both kept', headers: { b3: `${OTHER_T}-${S}-1-${P}`, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S,
    'x-b3-parentspanid': P, 'x-b3-sampled': '1' }, formats: FORMAT.b3 | FORMAT.b3multi, edits: {}, authority: AUTH.b3 },
  { name: 'b3 wins over a disagreeing X-B3 (parent differs)', headers: { b3: `${OTHER_T}-${S}-1-${P}`, 'x-b3-traceid': OTHER_T,
    'x-b3-spanid': S, 'x-b3-parentspanid': 'aaaaaaaaaaaaaaaa', 'x-b3-sampled': '1' }, formats: FORMAT.b3multi,
    edits: { 'x-b3-parentspanid': P }, converted: true, authority: AUTH.b3 },
  { name: 'b3 debug vs X-B3 accept disagree', headers: { b3: `${OTHER_T}-${S}-d`, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S,
    'x-b3-sampled': '1' }, formats: FORMAT.b3multi, edits: { 'x-b3-sampled': null, 'x-b3-flags': '1' }, converted: true, authority: AUTH.b3 },

  // --- X-B3 multi is the authority
  { name: 'X-B3 → traceparent', headers: { 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, formats: DEFAULT,
    edits: { traceparent: `00-${OTHER_T}-${S}-01` }, converted: true, authority: AUTH.b3multi },
  { name: 'X-B3 64-bit → traceparent padded, b3 keeps 64-bit', headers: { 'x-b3-traceid': T64, 'x-b3-spanid': S, 'x-b3-parentspanid': P,
    'x-b3-sampled': '0' }, formats: ALL,
    edits: { traceparent: `00-${'0'.repeat(16)}${T64}-${S}-00`, b3: `${T64}-${S}-0-${P}` }, converted: true, authority: AUTH.b3multi },
  { name: 'X-B3 legacy false → traceparent 00, Sampled normalised', headers: { 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S,
    'x-b3-sampled': 'false' }, formats: DEFAULT, edits: { traceparent: `00-${OTHER_T}-${S}-00`, 'x-b3-sampled': '0' },
    converted: true, authority: AUTH.b3multi },
  { name: 'X-B3 debug with Sampled 0: Sampled dropped', headers: { 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '0',
    'x-b3-flags': '1' }, formats: FORMAT.b3multi, edits: { 'x-b3-sampled': null }, authority: AUTH.b3multi },
  { name: 'X-B3 + invalid b3: b3 rebuilt', headers: { b3: `${OTHER_T}-${S}-9`, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S },
    formats: FORMAT.b3 | FORMAT.b3multi, edits: { b3: `${OTHER_T}-${S}` }, invalid: INV.b3, converted: true, authority: AUTH.b3multi },
  { name: 'b3: 0 beside a sampled X-B3 set: the deny wins (b3 is read first, as brave and OpenTelemetry do)',
    headers: { b3: '0', 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, formats: FORMAT.b3multi,
    edits: { b3: null, 'x-b3-sampled': '0' }, authority: AUTH.b3multi, denied: true },
  { name: 'b3: 0 beside a sampled X-B3 set, all formats: every format carries the deny',
    headers: { b3: '0', 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, formats: ALL,
    edits: { b3: `${OTHER_T}-${S}-0`, traceparent: `00-${OTHER_T}-${S}-00`, 'x-b3-sampled': '0' }, converted: true, authority: AUTH.b3multi, denied: true },
  { name: 'a full b3 deny and a sampled X-B3 set with other IDs: b3 is the authority, its deny goes everywhere',
    headers: { b3: `${T}-${S}-0`, 'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, formats: FORMAT.b3 | FORMAT.b3multi,
    edits: { 'x-b3-traceid': T, 'x-b3-sampled': '0' }, converted: true, authority: AUTH.b3 },
  { name: 'debug b3 authority with a denying X-B3 of the same IDs: the deny wins',
    headers: { b3: `${T}-${S}-d`, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '0' }, formats: FORMAT.b3 | FORMAT.b3multi,
    edits: { b3: `${T}-${S}-0` }, authority: AUTH.b3, denied: true },
  { name: 'lone X-B3-Sampled: 0 beside a sampled traceparent: the deny wins',
    headers: { traceparent: TP, 'x-b3-sampled': '0' }, formats: DEFAULT,
    edits: { traceparent: `00-${T}-${S}-00`, 'x-b3-traceid': T, 'x-b3-spanid': S }, converted: true, authority: AUTH.tracecontext, denied: true },
  { name: 'repeated X-B3-TraceId: the first value counts and only it goes on',
    headers: { traceparent: TP, 'x-b3-traceid': `${T}\n${OTHER_T}`, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, formats: DEFAULT,
    edits: { 'x-b3-traceid': T }, authority: AUTH.tracecontext },
  { name: 'repeated b3: the first value counts (a repeated traceparent would be invalid)',
    headers: { b3: `${T}-${S}-1\n${OTHER_T}-${S}-0` }, formats: FORMAT.b3,
    edits: { b3: `${T}-${S}-1` }, authority: AUTH.b3 },
  { name: 'X-B3-Flags other than 1 is ignored, and not forwarded',
    headers: { 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1', 'x-b3-flags': '2' }, formats: FORMAT.b3multi,
    edits: { 'x-b3-flags': null }, authority: AUTH.b3multi },
  { name: 'tracestate with a repeated key: kept, the repeats dropped',
    headers: { traceparent: TP, tracestate: 'foo=1,bar=2,foo=3' }, formats: FORMAT.tracecontext,
    edits: { tracestate: 'foo=1,bar=2' }, authority: AUTH.tracecontext },
  { name: 'traceparent wins over disagreeing b3 and X-B3', headers: { traceparent: TP, b3: `${OTHER_T}-${S}-1`,
    'x-b3-traceid': OTHER_T, 'x-b3-spanid': S, 'x-b3-sampled': '1' }, formats: ALL,
    edits: { b3: `${T}-${S}-1`, 'x-b3-traceid': T }, converted: true, authority: AUTH.tracecontext },
  { name: 'propagation [] only validates', headers: { traceparent: TP, b3: 'bad' }, formats: 0,
    edits: { b3: null }, invalid: INV.b3, authority: AUTH.tracecontext },
];

describe('decideContext', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const d = w.decide(c.headers, c.formats);
    expect(d.edits).toEqual(c.edits);
    expect(d.invalid).toBe(c.invalid ?? 0);
    expect(d.converted).toBe(c.converted ?? false);
    expect(d.denied).toBe(c.denied ?? false);
    expect(d.authority).toBe(c.authority);
    expect(d.changes).toBe(Object.keys(c.edits).length > 0);
    // what is forwarded is valid, complete and in agreement
    const fwd = applyDecision(c.headers, d);
    expect(forwardedProblems(w, fwd, c.formats, c.authority !== AUTH.none)).toEqual([]);
    // idempotent: running the filter again on its own output changes nothing
    const again = w.decide(fwd, c.formats);
    expect(again.edits).toEqual({});
    expect(again.invalid).toBe(0);
  });

  test('forwarded context continues the authority (trace ID, span ID, sampled)', () => {
    const d = w.decide({ b3: `${T64}-${S}-1` }, DEFAULT);
    const fwd = applyDecision({ b3: `${T64}-${S}-1` }, d);
    const tp = w.parseTraceparent(fwd.traceparent ?? null);
    expect(tp).toMatchObject({ status: 'valid', traceId: T64.padStart(32, '0'), spanId: S, sampling: 'accept' });
  });
});

describe('UUIDv4 for x-request-id', () => {
  const cases: Array<[string, string]> = [
    ['00000000000000000000000000000000', '00000000-0000-4000-8000-000000000000'],
    ['ffffffffffffffffffffffffffffffff', 'ffffffff-ffff-4fff-bfff-ffffffffffff'],
    ['00112233445566778899aabbccddeeff', '00112233-4455-4677-8899-aabbccddeeff'],
    ['0123456789abcdef0123456789abcdef', '01234567-89ab-4def-8123-456789abcdef'],
  ];
  test.each(cases)('%s', (hex, uuid) => {
    expect(w.uuid(hex)).toBe(uuid);
  });
  test('version 4 and RFC variant for random bytes', () => {
    for (let i = 0; i < 200; i++) {
      const hex = Array.from({ length: 16 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join('');
      expect(w.uuid(hex)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
  test('fewer than 16 bytes gives an empty string, not a trap', () => {
    expect(w.uuid('0011')).toBe('');
  });
});
