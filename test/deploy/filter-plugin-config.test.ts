/**
 * The real built filter (build/meshtrace-filter.wasm, in the proxy-wasm test host) accepts the
 * pluginConfig of every WasmPlugin we ship and of the local Envoy setup, under the root id they
 * name, and stamps exactly the request headers that the Telemetry custom tags read.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ProxyWasmHost } from '../../host/index.js';
import { releaseWasmPath } from './filter-facts.js';
import { readText, repoPath, resourceInFile } from './manifests.js';

const wasmPath = repoPath(releaseWasmPath());
const plugins = ['wasmplugin/wasmplugin-namespace.yaml', 'wasmplugin/wasmplugin-gateway.yaml', 'wasmplugin/wasmplugin-https.template.yaml', 'wasmplugin/wasmplugin-waypoint.yaml']
  .map((f) => [f, resourceInFile(f)] as const);
const telemetry = resourceInFile('manifests/istio/telemetry.yaml');
const tagHeader = (tag: string): string => telemetry.spec.tracing[0].customTags[tag].header.name;

function loadFilter(rootId: string): ProxyWasmHost {
  expect(fs.existsSync(wasmPath), `${releaseWasmPath()} missing: run npm run build:filter first`).toBe(true);
  return ProxyWasmHost.load(fs.readFileSync(wasmPath), { rootId });
}

const header = (headers: [string, string][], name: string): string[] => headers.filter(([k]) => k === name).map(([, v]) => v);

describe.each(plugins)('%s', (_file, plugin) => {
  it('is accepted by the filter under its pluginName', () => {
    const host = loadFilter(plugin.spec.pluginName);
    const r = host.configure(plugin.spec.pluginConfig);
    expect(r.error).toBeNull();
    expect(r.accepted).toBe(true);
    expect(r.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('stamps the headers the Telemetry customTags read (a forged stamp replaced)', () => {
    const host = loadFilter(plugin.spec.pluginName);
    expect(host.configure(plugin.spec.pluginConfig).accepted).toBe(true);
    const gateway = plugin.spec.pluginConfig.gateway === true;
    const res = host.request({
      properties: { 'xds.listener_direction': 1n, 'xds.cluster_name': 'inbound|9080||' },
      requestHeaders: [[':method', 'GET'], [':path', '/productpage'], [':authority', 'productpage:9080'],
        [tagHeader('meshtrace.kind'), 'client'], [tagHeader('meshtrace.direction'), 'outbound']],
    });
    expect(res.trapped).toBe(false);
    expect(header(res.requestHeaders, tagHeader('meshtrace.kind'))).toEqual(['server']);
    if (!gateway) expect(header(res.requestHeaders, tagHeader('meshtrace.direction'))).toEqual(['inbound']);
  });
});

it('the local Envoy setup\'s wasm configuration is accepted too', () => {
  const envoy = parseYaml(readText('test/envoy/envoy-otel.yaml'), { merge: true });
  const wasm = envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config;
  const host = loadFilter(wasm.root_id);
  const r = host.configure(wasm.configuration.value);
  expect(r.accepted).toBe(true);
});

it('a pluginConfig the filter cannot use is refused (the check above is real)', () => {
  const host = loadFilter('meshtrace');
  const r = host.configure({ ...plugins[0]![1].spec.pluginConfig, kind_header: 'X-Meshtrace-Kind' });
  expect(r.accepted).toBe(false);
});

it('the filter\'s counters match the stats matcher the mesh config adds (or istio-proxy would not record them)', () => {
  const op = resourceInFile('manifests/istio/istio-operator.yaml');
  const regexps = (op.spec.meshConfig.defaultConfig.proxyStatsMatcher.inclusionRegexps as string[]).map((r) => new RegExp(`^(?:${r})$`));
  const host = loadFilter('meshtrace');
  expect(host.configure(plugins[0]![1].spec.pluginConfig).accepted).toBe(true);
  host.request({ properties: { 'xds.listener_direction': 1n }, requestHeaders: [[':method', 'GET'], [':path', '/']] });
  const names = Object.keys(host.metricValues());
  expect(names.length, 'the filter defines its counters').toBeGreaterThan(0);
  for (const n of names) expect(regexps.some((r) => r.test(n)), n).toBe(true);
});

it('in a waypoint (its node id, its INBOUND listener, an inbound-vip| cluster) the waypoint plugin stamps server/inbound', () => {
  const plugin = resourceInFile('wasmplugin/wasmplugin-waypoint.yaml');
  expect(fs.existsSync(wasmPath)).toBe(true);
  const host = ProxyWasmHost.load(fs.readFileSync(wasmPath), {
    rootId: plugin.spec.pluginName,
    properties: { 'xds.node': { id: 'waypoint~10.244.0.28~waypoint-5b7c754ccb-55jwk.bookinfo~bookinfo.svc.cluster.local' } },
  });
  expect(host.configure(plugin.spec.pluginConfig).accepted).toBe(true);
  const res = host.request({
    properties: { 'xds.listener_direction': 1n, 'xds.cluster_name': 'inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local' },
    requestHeaders: [[':method', 'GET'], [':path', '/reviews/0'], [':authority', 'reviews:9080'], [tagHeader('meshtrace.kind'), 'client']],
  });
  expect(res.trapped).toBe(false);
  expect(header(res.requestHeaders, tagHeader('meshtrace.kind'))).toEqual(['server']);
  expect(header(res.requestHeaders, tagHeader('meshtrace.direction'))).toEqual(['inbound']);
});
