import { beforeAll, describe, expect, test } from 'vitest';
import { loadPureWasm, type PureWasm } from './pure-wasm.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

const members = (n: number) => Array.from({ length: n }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${i}`).join(',');
const keyChars = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
let valueChars = '';
for (let c = 0x20; c <= 0x7e; c++) if (c !== 0x2c && c !== 0x3d) valueChars += String.fromCharCode(c);

const cases: Array<[string, string | null, 'absent' | 'valid' | 'invalid']> = [
  ['absent', null, 'absent'],
  ['single member', 'rojo=00f067aa0ba902b7', 'valid'],
  ['two members', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'valid'],
  ['empty header', '', 'valid'],
  ['whitespace-only', ' \t ', 'valid'],
  ['empty members from joined headers', 'foo=1,,bar=2,', 'valid'],
  ['leading empty member', ',foo=1', 'valid'],
  ['OWS around commas', 'foo=1 \t , \t bar=2, \t baz=3', 'valid'],
  ['OWS before first and after last', '\t foo=1 \t', 'valid'],
  ['32 members', members(32), 'valid'],
  ['33 members is invalid (not truncated)', members(33), 'invalid'],
  ['32 members plus empty ones', members(32) + ',,', 'valid'],
  ['all key characters', keyChars + '=1', 'valid'],
  ['key starting with a digit', '0foo=1', 'valid'],
  ['tenant@system key', 'tenant@system=1', 'valid'],
  ['Level 2: @ anywhere after the first char', 'foo@=1,foo@@bar=2,foo@bar@baz=3', 'valid'],
  ['Level 1 long tenant part', 't'.repeat(241) + '@' + 'v'.repeat(14) + '=1', 'valid'],
  ['key of 256 chars', 'z'.repeat(256) + '=1', 'valid'],
  ['key of 257 chars', 'z'.repeat(257) + '=1', 'invalid'],
  ['key starting with @', '@foo=1', 'invalid'],
  ['key starting with _', '_foo=1', 'invalid'],
  ['upper-case key', 'FOO=1', 'invalid'],
  ['key with a dot', 'foo.bar=1', 'invalid'],
  ['space inside key', 'foo =1', 'invalid'],
  ['empty key', '=1', 'invalid'],
  ['no equals sign', 'foo', 'invalid'],
  ['all value characters', 'foo=' + valueChars.trimEnd(), 'valid'],
  ['value with leading spaces', 'foo=  1', 'valid'],
  ['value of 256 chars', 'foo=' + 'v'.repeat(256), 'valid'],
  ['value of 257 chars', 'foo=' + 'v'.repeat(257), 'invalid'],
  ['empty value', 'foo=', 'invalid'],
  ['empty value then member', 'foo=,bar=3', 'invalid'],
  ['value containing =', 'foo=bar=baz', 'invalid'],
  ['value with a tab inside', 'foo=a\tb', 'invalid'],
  ['value with non-ASCII', 'foo=é', 'invalid'],
  ['value with DEL', 'foo=a\x7f', 'invalid'],
  ['duplicate key', 'foo=1,foo=2', 'invalid'],
  ['duplicate key across joined headers', 'foo=1,bar=2,foo=1', 'invalid'],
  ['one bad member spoils all', 'foo=1,BAD=2,bar=3', 'invalid'],
];

describe('tracestate', () => {
  test.each(cases)('%s', (_name, value, status) => {
    expect(w.tracestate(value)).toBe(status);
  });
});
