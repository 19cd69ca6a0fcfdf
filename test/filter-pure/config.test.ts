import { beforeAll, describe, expect, test } from 'vitest';
import { FORMAT, loadPureWasm, type PureWasm } from './pure-wasm.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

const DEFAULTS = {
  direction: 0, gateway: false, propagation: FORMAT.tracecontext | FORMAT.b3multi, generateRequestId: true,
  responseRequestId: true, kindHeader: 'x-meshtrace-kind', directionHeader: 'x-meshtrace-direction',
  heal: true, healSlots: 8192, healTtlSeconds: 60, healedHeader: 'x-meshtrace-healed', healedTraceHeader: 'x-meshtrace-healed-trace',
};

describe('plugin configuration: accepted', () => {
  const ok: Array<[string, string, Partial<typeof DEFAULTS>]> = [
    ['empty text', '', {}],
    ['whitespace only', ' \n\t ', {}],
    ['empty object', '{}', {}],
    ['null', 'null', {}],
    ['direction auto', '{"direction":"auto"}', { direction: 0 }],
    ['direction inbound', '{"direction":"inbound"}', { direction: 1 }],
    ['direction outbound', '{"direction":"outbound"}', { direction: 2 }],
    ['gateway true', '{"gateway":true}', { gateway: true }],
    ['propagation all three', '{"propagation":["tracecontext","b3","b3multi"]}', { propagation: 7 }],
    ['propagation b3 only', '{"propagation":["b3"]}', { propagation: FORMAT.b3 }],
    ['propagation empty: validate only', '{"propagation":[]}', { propagation: 0 }],
    ['generate_request_id false', '{"generate_request_id":false}', { generateRequestId: false }],
    ['response_request_id false', '{"response_request_id":false}', { responseRequestId: false }],
    ['custom header names', '{"kind_header":"x-kind","direction_header":"x-dir"}', { kindHeader: 'x-kind', directionHeader: 'x-dir' }],
    ['header name with token chars', '{"kind_header":"x_k.i!n~d"}', { kindHeader: 'x_k.i!n~d' }],
    ['escapes in strings', '{"kind_header":"x-\\u006bind"}', { kindHeader: 'x-kind' }],
    ['heal off', '{"heal":false}', { heal: false }],
    ['heal slots and TTL', '{"heal_slots":1,"heal_ttl_seconds":86400}', { healSlots: 1, healTtlSeconds: 86400 }],
    ['heal slots as an exponent-form integer', '{"heal_slots":1e3}', { healSlots: 1000 }],
    ['healed header renamed', '{"healed_header":"x-healed"}', { healedHeader: 'x-healed' }],
    ['healed-trace header renamed', '{"healed_trace_header":"x-healed-trace"}', { healedTraceHeader: 'x-healed-trace' }],
    ['whitespace everywhere', ' {\n "gateway" : true ,\r\n "direction":\t"inbound" } \n', { gateway: true, direction: 1 }],
  ];
  test.each(ok)('%s', (_name, text, expected) => {
    const r = w.parseConfig(text);
    expect(r.error).toBeNull();
    expect(r.warning).toBeNull();
    expect(r.config).toEqual({ ...DEFAULTS, ...expected });
  });

  test('unknown keys are accepted with a warning naming them', () => {
    const r = w.parseConfig('{"gateway":true,"colour":"blue","nested":{"a":[1,2,{"b":null}]}}');
    expect(r.error).toBeNull();
    expect(r.config).toEqual({ ...DEFAULTS, gateway: true });
    expect(r.warning).toBe(
      'unknown keys ignored: "colour", "nested" (known: direction, gateway, propagation, generate_request_id, ' +
        'response_request_id, kind_header, direction_header, heal, heal_slots, heal_ttl_seconds, healed_header, healed_trace_header)',
    );
  });
});

describe('plugin configuration: refused with one message naming the key and the problem', () => {
  const bad: Array<[string, string, string]> = [
    ['not JSON', 'gateway: true', 'pluginConfig is not valid JSON: unexpected \'g\', expected a value at line 1, column 1'],
    ['truncated', '{"gateway":true,', 'pluginConfig is not valid JSON: unexpected end of input, expected a string key at line 1, column 17'],
    ['trailing comma in array', '{"propagation":["b3",]}', 'pluginConfig is not valid JSON: unexpected \']\', expected a value at line 1, column 22'],
    ['error position on a later line', '{\n  "gateway": tru\n}', 'pluginConfig is not valid JSON: invalid literal, expected true at line 2, column 14'],
    ['garbage after the value', '{} x', 'pluginConfig is not valid JSON: unexpected \'x\' after the value at line 1, column 4'],
    ['unterminated string', '{"gateway', 'pluginConfig is not valid JSON: unterminated string at line 1, column 2'],
    ['control char in string', '{"a\u0001":1}', 'pluginConfig is not valid JSON: control character U+0001 in string at line 1, column 4'],
    ['bad escape', '{"a\\x":1}', 'pluginConfig is not valid JSON: invalid escape \'x\' at line 1, column 4'],
    ['bad unicode escape', '{"a\\u12":1}', 'pluginConfig is not valid JSON: invalid \\u escape at line 1, column 4'],
    ['leading zero', '{"a":01}', 'pluginConfig is not valid JSON: leading zero in number at line 1, column 6'],
    ['bad number', '{"a":-}', 'pluginConfig is not valid JSON: invalid number at line 1, column 6'],
    ['bad fraction', '{"a":1.}', 'pluginConfig is not valid JSON: invalid number: digits expected after \'.\' at line 1, column 8'],
    ['bad exponent', '{"a":1e}', 'pluginConfig is not valid JSON: invalid number: digits expected in exponent at line 1, column 8'],
    ['duplicate key', '{"gateway":true,"gateway":false}', 'pluginConfig is not valid JSON: duplicate key "gateway" at line 1, column 17'],
    ['missing colon', '{"gateway" true}', 'pluginConfig is not valid JSON: unexpected \'t\', expected \':\' at line 1, column 12'],
    ['too deep', '{"a":' + '['.repeat(40) + ']'.repeat(40) + '}', 'pluginConfig is not valid JSON: nesting deeper than 32 levels at line 1, column 37'],
    ['top level array', '["b3"]', 'pluginConfig: expected a JSON object, got array'],
    ['top level string', '"inbound"', 'pluginConfig: expected a JSON object, got string'],
    ['direction wrong type', '{"direction":1}', 'direction: expected a string, got number'],
    ['direction unknown value', '{"direction":"in"}', 'direction: unknown value "in" (expected auto, inbound, outbound)'],
    ['direction upper-case', '{"direction":"INBOUND"}', 'direction: unknown value "INBOUND" (expected auto, inbound, outbound)'],
    ['gateway as string', '{"gateway":"true"}', 'gateway: expected a boolean, got string'],
    ['gateway null', '{"gateway":null}', 'gateway: expected a boolean, got null'],
    ['generate_request_id as number', '{"generate_request_id":1}', 'generate_request_id: expected a boolean, got number'],
    ['response_request_id as object', '{"response_request_id":{}}', 'response_request_id: expected a boolean, got object'],
    ['propagation as string', '{"propagation":"b3"}', 'propagation: expected an array of formats, got string'],
    ['propagation unknown format', '{"propagation":["tracecontext","w3c"]}', 'propagation[1]: unknown format "w3c" (expected tracecontext, b3, b3multi)'],
    ['propagation item wrong type', '{"propagation":[true]}', 'propagation[0]: expected a string, got boolean'],
    ['propagation duplicate', '{"propagation":["b3","b3"]}', 'propagation[1]: duplicate format "b3"'],
    ['kind_header wrong type', '{"kind_header":false}', 'kind_header: expected a string, got boolean'],
    ['kind_header empty', '{"kind_header":""}', 'kind_header: must not be empty'],
    ['kind_header upper-case', '{"kind_header":"X-Kind"}', 'kind_header: "X-Kind" is not lower-case'],
    ['kind_header with space', '{"kind_header":"x kind"}', 'kind_header: "x kind" is not a valid header name'],
    ['kind_header pseudo-header', '{"kind_header":":path"}', 'kind_header: ":path" is not a valid header name'],
    ['direction_header non-ASCII', '{"direction_header":"x-dé"}', 'direction_header: "x-d\\u00e9" is not a valid header name'],
    ['direction_header is a context header', '{"direction_header":"traceparent"}', 'direction_header: "traceparent" is a trace-context header'],
    ['kind_header is x-request-id', '{"kind_header":"x-request-id"}', 'kind_header: "x-request-id" is the request-ID header'],
    ['kind and direction the same', '{"kind_header":"x-a","direction_header":"x-a"}', 'direction_header: "x-a" is also the kind_header'],
    ['heal wrong type', '{"heal":1}', 'heal: expected a boolean, got number'],
    ['heal_slots zero', '{"heal_slots":0}', 'heal_slots: 0 is out of range (1 to 1048576)'],
    ['heal_slots too many', '{"heal_slots":1048577}', 'heal_slots: 1048577 is out of range (1 to 1048576)'],
    ['heal_slots fraction', '{"heal_slots":2.5}', 'heal_slots: expected an integer, got 2.5'],
    ['heal_ttl_seconds string', '{"heal_ttl_seconds":"60"}', 'heal_ttl_seconds: expected an integer, got string'],
    ['healed_header is the direction header', '{"healed_header":"x-meshtrace-direction"}', 'healed_header: "x-meshtrace-direction" is also the direction_header'],
    ['healed_header is a context header', '{"healed_header":"b3"}', 'healed_header: "b3" is a trace-context header'],
    ['healed_trace_header wrong type', '{"healed_trace_header":7}', 'healed_trace_header: expected a string, got number'],
    ['healed_trace_header is the healed header', '{"healed_trace_header":"x-meshtrace-healed"}', 'healed_trace_header: "x-meshtrace-healed" is also the healed_header'],
    ['healed_trace_header is the kind header', '{"healed_trace_header":"x-k","kind_header":"x-k"}', 'healed_trace_header: "x-k" is also the kind_header'],
    ['healed_trace_header is the client-certificate header', '{"healed_trace_header":"x-forwarded-client-cert"}',
      'healed_trace_header: "x-forwarded-client-cert" is Envoy\'s client-certificate header (the filter reads it to trust a caller)'],
    ['kind_header is the client-certificate header', '{"kind_header":"x-forwarded-client-cert"}',
      'kind_header: "x-forwarded-client-cert" is Envoy\'s client-certificate header (the filter reads it to trust a caller)'],
  ];
  test.each(bad)('%s', (_name, text, message) => {
    const r = w.parseConfig(text);
    expect(r.config).toBeNull();
    expect(r.error).toBe(message);
  });

  test('oversized configuration is refused without parsing', () => {
    const r = w.parseConfig(`{"a":"${'x'.repeat(70_000)}"}`);
    expect(r.config).toBeNull();
    expect(r.error).toBe('pluginConfig is not valid JSON: longer than 65536 characters');
  });

  test('a long bad value is echoed shortened', () => {
    const r = w.parseConfig(`{"direction":"${'y'.repeat(100)}"}`);
    expect(r.error).toBe(`direction: unknown value "${'y'.repeat(64)}…" (expected auto, inbound, outbound)`);
  });
});
