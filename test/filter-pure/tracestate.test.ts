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
  ['tenant 241 chars, system 14 chars', 't'.repeat(241) + '@' + 'v'.repeat(14) + '=1', 'valid'],
  ['tenant starting with a digit', '1tenant@vendor=1', 'valid'],
  ['tenant of 242 chars', 't'.repeat(242) + '@v=1', 'invalid'],
  ['system of 15 chars', 't@' + 'v'.repeat(15) + '=1', 'invalid'],
  ['system starting with a digit', 't@1v=1', 'invalid'],
  ['empty system (foo@)', 'foo@=1,bar=2', 'invalid'],
  ['empty tenant (@foo)', '@foo=1,bar=2', 'invalid'],
  ['two @ (foo@@bar)', 'foo@@bar=1,bar=2', 'invalid'],
  ['two @ (foo@bar@baz)', 'foo@bar@baz=1,bar=2', 'invalid'],
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
  ['repeated key (Level 2: kept)', 'foo=1,foo=2', 'valid'],
  ['repeated key across headers', 'foo=1,bar=2\nfoo=1', 'valid'],
  ['32 members over 4 headers', [members(10), 'bar11=11,bar12=12,bar13=13,bar14=14,bar15=15,bar16=16,bar17=17,bar18=18,bar19=19,bar20=20', 'bar21=21,bar22=22,bar23=23,bar24=24,bar25=25,bar26=26,bar27=27,bar28=28,bar29=29,bar30=30', 'bar31=31,bar32=32'].join('\n'), 'valid'],
  ['33 members over 4 headers', [members(10), 'bar11=11,bar12=12,bar13=13,bar14=14,bar15=15,bar16=16,bar17=17,bar18=18,bar19=19,bar20=20', 'bar21=21,bar22=22,bar23=23,bar24=24,bar25=25,bar26=26,bar27=27,bar28=28,bar29=29,bar30=30', 'bar31=31,bar32=32,bar33=33'].join('\n'), 'invalid'],
  ['one bad member spoils all', 'foo=1,BAD=2,bar=3', 'invalid'],
];

describe('tracestate', () => {
  test.each(cases)('%s', (_name, value, status) => {
    expect(w.tracestate(value)).toBe(status);
  });
});

describe('tracestate with repeated keys (Level 2): the first member of each key goes on', () => {
  test.each([
    ['foo=1,foo=1', 'foo=1'],
    ['foo=1,foo=2', 'foo=1'],
    ['foo=1\nfoo=1', 'foo=1'],
    ['foo=1\nfoo=2', 'foo=1'],
    ['a=1 , b=2,\ta=3,c=4', 'a=1,b=2,c=4'],
    ['x=1,,y=2\n\nx=9', 'x=1,y=2'],
  ])('%j → %j', (value, forwarded) => {
    expect(w.tracestateWithoutRepeats(value)).toBe(forwarded);
  });
});
