/**
 * EnvoyHeaderMap against Envoy's source/common/http/header_map_impl.cc (insertByKey,
 * appendToHeader, addCopy, setCopy, remove), envoy/http/header_map.h (the INLINE_* lists) and
 * HeaderList::insert (pseudo-headers first). One table, one operation sequence per case.
 */
import { describe, expect, it } from 'vitest';
import { EnvoyHeaderMap, isInlineHeader, asciiLower, type HeaderMapKind } from '../../host/header-map.js';

type Op = ['add' | 'set', string | Buffer, string | Buffer] | ['remove', string] | ['replaceAll', Array<[string, string]>];
const b = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s) : s);
const text = (m: EnvoyHeaderMap) => m.pairs().map(([k, v]) => [k.toString('latin1'), v.toString('latin1')]);

const cases: Array<{ name: string; kind?: HeaderMapKind; ops: Op[]; want: Array<[string, string]> }> = [
  { name: 'a plain header may repeat (insertByKey: not in the static table)', ops: [['add', 'x-a', '1'], ['add', 'x-a', '2']], want: [['x-a', '1'], ['x-a', '2']] },
  { name: 'x-request-id is inline: a repeat is appended with "," (appendToHeader)', ops: [['add', 'x-request-id', 'a'], ['add', 'x-request-id', 'b']], want: [['x-request-id', 'a,b']] },
  { name: 'user-agent, x-forwarded-for, content-type, via are inline in requests', ops: [['add', 'user-agent', 'u1'], ['add', 'x-forwarded-for', '1.1.1.1'], ['add', 'user-agent', 'u2'], ['add', 'x-forwarded-for', '2.2.2.2'], ['add', 'content-type', 'a'], ['add', 'content-type', 'b'], ['add', 'via', 'v1'], ['add', 'via', 'v2']], want: [['user-agent', 'u1,u2'], ['x-forwarded-for', '1.1.1.1,2.2.2.2'], ['content-type', 'a,b'], ['via', 'v1,v2']] },
  { name: 'appending an empty value to an inline header changes nothing', ops: [['add', 'x-request-id', 'a'], ['add', 'x-request-id', '']], want: [['x-request-id', 'a']] },
  { name: 'an empty inline value takes the next value without a delimiter', ops: [['add', 'x-request-id', ''], ['add', 'x-request-id', 'b']], want: [['x-request-id', 'b']] },
  { name: 'trace-context headers are not inline (several traceparent entries stay)', ops: [['add', 'traceparent', 'a'], ['add', 'traceparent', 'b'], ['add', 'x-b3-traceid', 'c'], ['add', 'x-b3-traceid', 'd']], want: [['traceparent', 'a'], ['traceparent', 'b'], ['x-b3-traceid', 'c'], ['x-b3-traceid', 'd']] },
  { name: 'pseudo-headers go before the others, in their own order (HeaderList::insert)', ops: [['add', 'a', '1'], ['add', ':path', '/'], ['add', 'b', '2'], ['add', ':method', 'GET']], want: [[':path', '/'], [':method', 'GET'], ['a', '1'], ['b', '2']] },
  { name: 'host is the legacy name of :authority in a request map', ops: [['add', 'x', '1'], ['add', 'Host', 'example.com']], want: [[':authority', 'example.com'], ['x', '1']] },
  { name: 'names are lower-cased', ops: [['add', 'X-Mixed-Case', 'v']], want: [['x-mixed-case', 'v']] },
  { name: 'lower-casing is ASCII only: 0xC4 (Ä in Latin-1) stays', ops: [['add', Buffer.from([0x58, 0x2d, 0xc4]), 'v']], want: [['x-\u00c4', 'v']] },
  { name: 'setCopy removes every entry of the name and adds one at the end', ops: [['add', 'x-a', '1'], ['add', 'x-b', '2'], ['add', 'x-a', '3'], ['set', 'x-a', 'new']], want: [['x-b', '2'], ['x-a', 'new']] },
  { name: 'setCopy of an absent header adds it', ops: [['add', 'x-b', '2'], ['set', 'x-a', 'new']], want: [['x-b', '2'], ['x-a', 'new']] },
  { name: 'setCopy of a pseudo-header keeps it in the pseudo block', ops: [['add', ':path', '/a'], ['add', ':method', 'GET'], ['add', 'x', '1'], ['set', ':path', '/b']], want: [[':method', 'GET'], [':path', '/b'], ['x', '1']] },
  { name: 'remove removes every entry of the name', ops: [['add', 'x-a', '1'], ['add', 'x-b', '2'], ['add', 'x-a', '3'], ['remove', 'X-A']], want: [['x-b', '2']] },
  { name: 'replaceAll (set_header_map_pairs) re-adds every pair: inline repeats join, pseudo-headers move first', ops: [['add', 'x', 'old'], ['replaceAll', [['a', '1'], ['x-request-id', 'r1'], [':path', '/'], ['x-request-id', 'r2'], ['a', '2']]]], want: [[':path', '/'], ['a', '1'], ['x-request-id', 'r1,r2'], ['a', '2']] },
  { name: 'in a response map :status, server and date are inline; x-request-id too', kind: 'response', ops: [['add', 'server', 'a'], ['add', 'server', 'b'], ['add', ':status', '200'], ['add', 'x-request-id', 'r'], ['add', 'x-request-id', 's']], want: [[':status', '200'], ['server', 'a,b'], ['x-request-id', 'r,s']] },
  { name: 'a response map does not map host to :authority, nor join user-agent', kind: 'response', ops: [['add', 'host', 'h'], ['add', 'user-agent', 'a'], ['add', 'user-agent', 'b']], want: [['host', 'h'], ['user-agent', 'a'], ['user-agent', 'b']] },
  { name: 'request trailers have no inline headers', kind: 'request-trailers', ops: [['add', 'x-request-id', 'a'], ['add', 'x-request-id', 'b']], want: [['x-request-id', 'a'], ['x-request-id', 'b']] },
  { name: 'response trailers: grpc-status is inline', kind: 'response-trailers', ops: [['add', 'grpc-status', '0'], ['add', 'grpc-status', '1']], want: [['grpc-status', '0,1']] },
];

describe('EnvoyHeaderMap (header_map_impl.cc)', () => {
  it.each(cases)('$name', ({ kind, ops, want }) => {
    const m = new EnvoyHeaderMap(kind ?? 'request');
    for (const op of ops) {
      if (op[0] === 'add') m.addCopy(b(op[1]), b(op[2]));
      else if (op[0] === 'set') m.setCopy(b(op[1]), b(op[2]));
      else if (op[0] === 'remove') m.remove(b(op[1]));
      else m.replaceAll(op[1].map(([k, v]) => [b(k), b(v)] as const));
    }
    expect(text(m)).toEqual(want);
  });

  it('get returns every value of a plain header and the one value of an inline header', () => {
    const m = EnvoyHeaderMap.fromPairs('request', [[b('X-A'), b('1')], [b('x-a'), b('2')], [b('x-request-id'), b('r')], [b('x-request-id'), b('s')]]);
    expect(m.get(b('x-a')).map(String)).toEqual(['1', '2']);
    expect(m.get(b('X-Request-Id')).map(String)).toEqual(['r,s']);
    expect(m.get(b('host'))).toEqual([]);
  });

  it('values are bytes: nothing is decoded or re-encoded', () => {
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    const m = EnvoyHeaderMap.fromPairs('request', [[b('x-bin'), raw]]);
    expect(m.pairs()[0]![1].equals(raw)).toBe(true);
  });

  it('the inline lists: a sample from each (header_map.h)', () => {
    expect(['x-request-id', ':authority', 'user-agent', 'x-forwarded-for', 'content-type', 'via', 'x-envoy-attempt-count', 'host'].every((n) => isInlineHeader('request', n))).toBe(true);
    expect(['traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'cookie', 'x-meshtrace-kind'].some((n) => isInlineHeader('request', n))).toBe(false);
    expect(['server', 'date', ':status', 'location', 'grpc-status', 'x-request-id'].every((n) => isInlineHeader('response', n))).toBe(true);
    expect(asciiLower(Buffer.from('AbC-\u00c4', 'latin1')).toString('latin1')).toBe('abc-\u00c4');
  });
});
