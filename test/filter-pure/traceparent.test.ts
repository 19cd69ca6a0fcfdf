import { beforeAll, describe, expect, test } from 'vitest';
import { loadPureWasm, type PureWasm } from './pure-wasm.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';
const tp = (v: string, t = T, p = P, f = '01') => `${v}-${t}-${p}-${f}`;

// [name, value, expected status, extra expectations]
const cases: Array<[string, string | null, 'absent' | 'valid' | 'invalid', Partial<{ flags: number; sampling: string; canonical: boolean; traceId: string; spanId: string }>?]> = [
  ['absent', null, 'absent'],
  ['version 00 sampled', tp('00'), 'valid', { sampling: 'accept', flags: 1, canonical: true, traceId: T, spanId: P }],
  ['version 00 not sampled', tp('00', T, P, '00'), 'valid', { sampling: 'deny', flags: 0, canonical: true }],
  ['random flag (Level 2) is kept', tp('00', T, P, '02'), 'valid', { sampling: 'deny', flags: 2, canonical: true }],
  ['sampled + random', tp('00', T, P, '03'), 'valid', { sampling: 'accept', flags: 3, canonical: true }],
  ['reserved flag bits: valid, cleared when re-emitted', tp('00', T, P, '09'), 'valid', { sampling: 'accept', flags: 1, canonical: false }],
  ['all flags set', tp('00', T, P, 'ff'), 'valid', { sampling: 'accept', flags: 3, canonical: false }],
  ['upper-case flags', tp('00', T, P, 'FF'), 'invalid'],
  ['version ff is invalid', tp('ff'), 'invalid'],
  ['version 00 with extra trailing chars', tp('00') + '.', 'invalid'],
  ['version 00 with a future field', tp('00') + '-what-the-future-will-be-like', 'invalid'],
  ['higher version, exactly 55 chars', tp('cc'), 'valid', { canonical: false, sampling: 'accept' }],
  ['higher version with a future field', tp('cc') + '-what-the-future-will-be-like', 'valid', { canonical: false }],
  ['higher version, char 56 not a dash', tp('cc') + '.what-the-future-will-be-like', 'invalid'],
  ['higher version shorter than 55', tp('01').slice(0, 54), 'invalid'],
  ['version 01 is a higher version', tp('01'), 'valid', { canonical: false }],
  ['version with illegal char', '.0' + tp('00').slice(2), 'invalid'],
  ['version upper-case hex', tp('0A'), 'invalid'],
  ['version too long', '000' + tp('00').slice(2), 'invalid'],
  ['version too short', '0' + tp('00').slice(2), 'invalid'],
  ['all-zero trace-id', tp('00', '0'.repeat(32)), 'invalid'],
  ['all-zero parent-id', tp('00', T, '0'.repeat(16)), 'invalid'],
  ['upper-case trace-id', tp('00', T.toUpperCase()), 'invalid'],
  ['upper-case parent-id', tp('00', T, '00F067AA0BA902B7'), 'invalid'],
  ['illegal char in trace-id', tp('00', '.' + T.slice(1)), 'invalid'],
  ['illegal char at end of trace-id', tp('00', T.slice(0, 31) + '.'), 'invalid'],
  ['illegal char in parent-id', tp('00', T, '.' + P.slice(1)), 'invalid'],
  ['trace-id too long', tp('00', T + '3'), 'invalid'],
  ['trace-id too short', tp('00', T.slice(1)), 'invalid'],
  ['parent-id too long', tp('00', T, P + '7'), 'invalid'],
  ['parent-id too short', tp('00', T, P.slice(1)), 'invalid'],
  ['flags too long', tp('00', T, P, '001'), 'invalid'],
  ['flags too short', tp('00', T, P, '1'), 'invalid'],
  ['flags with illegal char', tp('00', T, P, '.0'), 'invalid'],
  ['leading space (OWS)', ' ' + tp('00'), 'valid', { canonical: false }],
  ['trailing tab (OWS)', tp('00') + '\t', 'valid', { canonical: false }],
  ['OWS on both sides', '\t ' + tp('00') + ' \t', 'valid', { canonical: false }],
  ['other whitespace is not OWS', '\n' + tp('00'), 'invalid'],
  ['wrong separator', tp('00').replace(/-/g, '_'), 'invalid'],
  ['two values joined (duplicated header)', tp('00') + ',' + tp('00'), 'invalid'],
  ['empty', '', 'invalid'],
  ['non-ASCII', tp('00').slice(0, 54) + 'é', 'invalid'],
];

describe('traceparent', () => {
  test.each(cases)('%s', (_name, value, status, extra) => {
    const r = w.parseTraceparent(value);
    expect(r.status).toBe(status);
    if (extra) expect(r).toMatchObject(extra);
  });
});
