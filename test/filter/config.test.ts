/**
 * Plugin configuration through proxy_on_configure of the real build/meshtrace-filter.wasm:
 * refused configurations return false with ONE log line naming the key and the problem;
 * unknown keys are accepted with a warning; accepted keys change behaviour.
 */
import { describe, expect, it } from 'vitest';
import { ProxyWasmHost } from '../../host/index.js';
import { filterBytes, filterHost, request, values, OUTBOUND, INBOUND } from './helpers.js';

function configure(pluginConfig: unknown) {
  const host = ProxyWasmHost.load(filterBytes(), { pluginConfig, reloadOnFailure: false });
  return { host, result: host.configure() };
}

const refused: Array<{ config: unknown; key: string; problem: RegExp }> = [
  { config: '{"gateway": tru}', key: 'pluginConfig', problem: /not valid JSON/ },
  { config: '{"gateway": true,}', key: 'pluginConfig', problem: /not valid JSON/ },
  { config: '[1, 2]', key: 'pluginConfig', problem: /expected a JSON object, got array/ },
  { config: '"text"', key: 'pluginConfig', problem: /expected a JSON object/ },
  { config: { gateway: 'yes' }, key: 'gateway', problem: /expected a boolean, got string/ },
  { config: { direction: 'in' }, key: 'direction', problem: /unknown value "in"/ },
  { config: { direction: 1 }, key: 'direction', problem: /expected a string/ },
  { config: { propagation: 'b3' }, key: 'propagation', problem: /expected an array/ },
  { config: { propagation: ['tracecontext', 'w3c'] }, key: 'propagation[1]', problem: /unknown format "w3c"/ },
  { config: { propagation: ['b3', 'b3'] }, key: 'propagation[1]', problem: /duplicate format/ },
  { config: { generate_request_id: 0 }, key: 'generate_request_id', problem: /expected a boolean, got number/ },
  { config: { response_request_id: null }, key: 'response_request_id', problem: /expected a boolean/ },
  { config: { kind_header: 'X-Kind' }, key: 'kind_header', problem: /not lower-case/ },
  { config: { kind_header: 'traceparent' }, key: 'kind_header', problem: /trace-context header/ },
  { config: { direction_header: ':path' }, key: 'direction_header', problem: /not a valid header name/ },
  { config: { kind_header: 'x-a', direction_header: 'x-a' }, key: 'direction_header', problem: /also the kind_header/ },
  { config: { heal: 'on' }, key: 'heal', problem: /expected a boolean, got string/ },
  { config: { heal_slots: 0 }, key: 'heal_slots', problem: /0 is out of range \(1 to 1048576\)/ },
  { config: { heal_slots: 1.5 }, key: 'heal_slots', problem: /expected an integer, got 1.5/ },
  { config: { heal_slots: '100' }, key: 'heal_slots', problem: /expected an integer, got string/ },
  { config: { heal_ttl_seconds: 86401 }, key: 'heal_ttl_seconds', problem: /out of range \(1 to 86400\)/ },
  { config: { heal_ttl_seconds: -1 }, key: 'heal_ttl_seconds', problem: /out of range/ },
  { config: { healed_header: 'X-Healed' }, key: 'healed_header', problem: /not lower-case/ },
  { config: { healed_header: 'x-request-id' }, key: 'healed_header', problem: /request-ID header/ },
  { config: { healed_header: 'x-meshtrace-kind' }, key: 'healed_header', problem: /also the kind_header/ },
];

describe('plugin configuration (real .wasm)', () => {
  it.each(refused)('refuses $config: one log line naming $key', ({ config, key, problem }) => {
    const { result } = configure(config);
    expect(result.accepted).toBe(false);
    expect(result.trapped).toBe(false);
    expect(result.logs).toHaveLength(1);
    expect(result.logs[0]!.level).toBe('error');
    expect(result.logs[0]!.message.startsWith(`meshtrace: pluginConfig refused: ${key}`)).toBe(true);
    expect(result.logs[0]!.message).toMatch(problem);
  });

  it.each([undefined, '', '{}', 'null', '  \n'])('accepts the empty configuration %j silently (all defaults)', (config) => {
    const { result } = configure(config);
    expect(result.accepted).toBe(true);
    expect(result.logs).toEqual([]);
  });

  it('accepts unknown keys with one warning naming them', () => {
    const { host, result } = configure({ colour: 'blue', gateway: false, 'x-extra': 1 });
    expect(result.accepted).toBe(true);
    expect(result.logs).toHaveLength(1);
    expect(result.logs[0]).toMatchObject({ level: 'warn', message: expect.stringMatching(/unknown keys ignored: "colour", "x-extra"/) });
    const r = host.request({ properties: OUTBOUND, requestHeaders: [] });
    expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual(['client']);
  });

  it('defines the metrics once, however often it is configured', () => {
    const { host } = configure({});
    const first = host.configure();
    const again = host.configure();
    expect(first.hostCalls.proxy_define_metric ?? 0).toBe(0); // defined at the first configure
    expect(again.hostCalls.proxy_define_metric ?? 0).toBe(0);
    expect(Object.keys(host.metricValues()).filter((k) => k.startsWith('meshtrace_')).length).toBe(14);
  });

  it('a refused reconfiguration leaves the previous configuration in force', () => {
    const host = filterHost({ direction: 'outbound' });
    expect(host.configure({ direction: 'sideways' }).accepted).toBe(false);
    const r = host.request({ properties: INBOUND, requestHeaders: [] });
    expect(r.trapped).toBe(false);
    expect(values(r.requestHeaders, 'x-meshtrace-direction')).toEqual(['outbound']);
  });

  it('a configuration is not read on the request path', () => {
    const host = filterHost({ generate_request_id: false });
    const r = request(host, [], INBOUND);
    expect(r.hostCalls.proxy_get_buffer_bytes ?? 0).toBe(0);
    expect(values(r.requestHeaders, 'x-request-id')).toEqual([]);
  });
});
