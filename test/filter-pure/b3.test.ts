import { beforeAll, describe, expect, test } from 'vitest';
import { loadPureWasm, type PureWasm } from './pure-wasm.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

const T = '80f198ee56343ba864fe8b2a57d3eff7';
const T64 = 'a3ce929d0e0e4736';
const S = 'e457b5a2e4d86bd1';
const P = '05e3ac9a4f6e3b90';

type View = Partial<{ status: string; traceId: string; spanId: string; parentSpanId: string | null; sampling: string }>;

const single: Array<[string, string | null, View]> = [
  ['absent', null, { status: 'absent' }],
  ['trace-span', `${T}-${S}`, { status: 'valid', traceId: T, spanId: S, sampling: 'defer', parentSpanId: null }],
  ['with sampled 1', `${T}-${S}-1`, { status: 'valid', sampling: 'accept' }],
  ['with sampled 0', `${T}-${S}-0`, { status: 'valid', sampling: 'deny' }],
  ['with debug', `${T}-${S}-d`, { status: 'valid', sampling: 'debug' }],
  ['with parent', `${T}-${S}-1-${P}`, { status: 'valid', parentSpanId: P, spanId: S }],
  ['64-bit trace ID', `${T64}-${S}-1`, { status: 'valid', traceId: T64 }],
  ['deny only: 0', '0', { status: 'sampling-only', sampling: 'deny' }],
  ['accept only: 1', '1', { status: 'sampling-only', sampling: 'accept' }],
  ['debug only: d', 'd', { status: 'sampling-only', sampling: 'debug' }],
  ['bad sampling-only char', 'x', { status: 'invalid' }],
  ['sampling-only true', 'true', { status: 'invalid' }],
  ['empty', '', { status: 'invalid' }],
  ['bad sampling state', `${T}-${S}-2`, { status: 'invalid' }],
  ['upper-case D', `${T}-${S}-D`, { status: 'invalid' }],
  ['parent without sampling state (deferred; brave writes and reads it)', `${T}-${S}-${P}`, { status: 'valid', sampling: 'defer', parentSpanId: P }],
  ['parent without sampling state, malformed', `${T}-${S}-${P.slice(0, 15)}?`, { status: 'invalid' }],
  ['parent too long', `${T}-${S}-${P}a`, { status: 'invalid' }],
  ['invalid delimiter before parent', `${T}-${S}-1!${P}`, { status: 'invalid' }],
  ['a UUID is not b3', 'b970dafd-0d95-40aa-95d8-1d8725aebe40', { status: 'invalid' }],
  ['trace ID too long', `${T}a-${S}`, { status: 'invalid' }],
  ['upper-case trace ID', `${T.toUpperCase()}-${S}`, { status: 'invalid' }],
  ['upper-case span ID', `${T}-${S.toUpperCase()}`, { status: 'invalid' }],
  ['trace ID of 24 chars', `${T.slice(0, 24)}-${S}`, { status: 'invalid' }],
  ['span ID too short', `${T}-${S.slice(1)}`, { status: 'invalid' }],
  ['span ID too long', `${T}-${S}0`, { status: 'invalid' }],
  ['all-zero trace ID', `${'0'.repeat(32)}-${S}`, { status: 'invalid' }],
  ['all-zero 64-bit trace ID', `${'0'.repeat(16)}-${S}`, { status: 'invalid' }],
  ['all-zero span ID', `${T}-${'0'.repeat(16)}`, { status: 'invalid' }],
  ['all-zero parent ID', `${T}-${S}-1-${'0'.repeat(16)}`, { status: 'invalid' }],
  ['trailing dash', `${T}-${S}-`, { status: 'invalid' }],
  ['trailing junk after parent', `${T}-${S}-1-${P}-x`, { status: 'invalid' }],
  ['parent too short', `${T}-${S}-1-${P.slice(1)}`, { status: 'invalid' }],
  ['trace ID only', T, { status: 'invalid' }],
];

describe('b3 single header', () => {
  test.each(single)('%s', (_name, value, expected) => {
    expect(w.parseB3(value)).toMatchObject(expected);
  });
});

// [name, [traceId, spanId, parentSpanId, sampled, flags], expected]
type Multi = [string | null, string | null, string | null, string | null, string | null];
const multi: Array<[string, Multi, View & { canonical?: boolean }]> = [
  ['absent', [null, null, null, null, null], { status: 'absent' }],
  ['trace and span', [T, S, null, null, null], { status: 'valid', sampling: 'defer', canonical: true }],
  ['with parent', [T, S, P, '1', null], { status: 'valid', parentSpanId: P, sampling: 'accept' }],
  ['64-bit trace ID', [T64, S, null, '1', null], { status: 'valid', traceId: T64 }],
  ['sampled 0', [T, S, null, '0', null], { status: 'valid', sampling: 'deny', canonical: true }],
  ['legacy true accepted, rewritten', [T, S, null, 'true', null], { status: 'valid', sampling: 'accept', canonical: false }],
  ['legacy false accepted, rewritten', [T, S, null, 'false', null], { status: 'valid', sampling: 'deny', canonical: false }],
  ['debug flag', [T, S, null, null, '1'], { status: 'valid', sampling: 'debug', canonical: true }],
  ['debug flag with redundant sampled 1', [T, S, null, '1', '1'], { status: 'valid', sampling: 'debug', canonical: true }],
  ['debug flag with sampled 0', [T, S, null, '0', '1'], { status: 'valid', sampling: 'debug', canonical: false }],
  ['sampled only (deny)', [null, null, null, '0', null], { status: 'sampling-only', sampling: 'deny' }],
  ['flags only (debug)', [null, null, null, null, '1'], { status: 'sampling-only', sampling: 'debug' }],
  ['sampled yes', [T, S, null, 'yes', null], { status: 'invalid' }],
  ['sampled TRUE (any case)', [T, S, null, 'TRUE', null], { status: 'valid', sampling: 'accept', canonical: false }],
  ['sampled True', [T, S, null, 'True', null], { status: 'valid', sampling: 'accept', canonical: false }],
  ['sampled FaLsE', [T, S, null, 'FaLsE', null], { status: 'valid', sampling: 'deny', canonical: false }],
  ['flags 2 ignored (not a reason to drop the context)', [T, S, null, null, '2'], { status: 'valid', sampling: 'defer', canonical: false }],
  ['flags true ignored', [T, S, null, '0', 'true'], { status: 'valid', sampling: 'deny', canonical: false }],
  ['flags 0 ignored', [T, S, null, '1', '0'], { status: 'valid', sampling: 'accept', canonical: false }],
  ['trace ID without span ID', [T, null, null, '1', null], { status: 'invalid' }],
  ['span ID without trace ID', [null, S, null, '1', null], { status: 'invalid' }],
  ['parent alone', [null, null, P, null, null], { status: 'invalid' }],
  ['upper-case trace ID', [T.toUpperCase(), S, null, null, null], { status: 'invalid' }],
  ['upper-case span ID', [T, S.toUpperCase(), null, null, null], { status: 'invalid' }],
  ['trace ID of 20 chars', [T.slice(0, 20), S, null, null, null], { status: 'invalid' }],
  ['span ID of 32 chars', [T, T, null, null, null], { status: 'invalid' }],
  ['all-zero trace ID', ['0'.repeat(16), S, null, null, null], { status: 'invalid' }],
  ['all-zero span ID', [T, '0'.repeat(16), null, null, null], { status: 'invalid' }],
  ['bad parent', [T, S, 'xyz', null, null], { status: 'invalid' }],
  ['empty trace ID', ['', S, null, null, null], { status: 'invalid' }],
];

describe('B3 multiple headers', () => {
  test.each(multi)('%s', (_name, args, expected) => {
    expect(w.parseB3Multi(...args)).toMatchObject(expected);
  });
});
