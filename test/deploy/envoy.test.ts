/**
 * The local Envoy setup (test/envoy/), checked structurally: it cannot run here (no container
 * runtime), so these tests hold it to Envoy's v3 API field names for the parts that matter and
 * to the rest of the project (module path, root id, filter options, stamp headers, collector
 * ports, the collector image's config path).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfigText } from '../../collector/config/load.js';
import { ATTR } from '../../collector/processor/istioprocessor/span-facts.js';
import { HEALED_ATTRIBUTE, HEALED_TRACE_ATTRIBUTE } from '../../collector/processor/reparentprocessor/processor.js';
import { filterConfigKeys, filterDefaultHeaders, filterRootIds, releaseWasmPath } from './filter-facts.js';
import { endpointPort, execForm, parseDockerfile, readText, REPO_ROOT, resourceInFile } from './manifests.js';
// @ts-expect-error plain ESM script without type declarations
import { formatSummary, kindName, spansOf } from '../envoy/summarize-spans.mjs';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const ENVOY_DIR = 'test/envoy';
const variants = { otel: 'envoy-otel.yaml', zipkin: 'envoy-zipkin.yaml' } as const;
const load = (f: string): Any => parseYaml(readText(`${ENVOY_DIR}/${f}`), { merge: true });
const bootstraps = Object.fromEntries(Object.entries(variants).map(([k, f]) => [k, load(f)])) as Record<keyof typeof variants, Any>;
const compose = load('docker-compose.yaml');
const collectorCfg = load('collector.yaml');

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const WASM = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

function hcms(b: Any): { listener: Any; hcm: Any }[] {
  const out: { listener: Any; hcm: Any }[] = [];
  for (const l of b.static_resources.listeners) {
    for (const fc of l.filter_chains) {
      for (const f of fc.filters) {
        if (f.name === 'envoy.filters.network.http_connection_manager') {
          if (f.typed_config['@type'] !== HCM) throw new Error(`${l.name}: HCM typed_config is ${f.typed_config['@type']}`);
          out.push({ listener: l, hcm: f.typed_config });
        }
      }
    }
  }
  return out;
}

const cluster = (b: Any, name: string): Any => {
  const c = b.static_resources.clusters.find((x: Any) => x.name === name);
  if (!c) throw new Error(`no cluster ${name}`);
  return c;
};
const clusterEndpoint = (c: Any): { address: string; port: number } => {
  const sa = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  if (c.load_assignment.cluster_name !== c.name) throw new Error(`${c.name}: load_assignment.cluster_name is ${c.load_assignment.cluster_name}`);
  return { address: sa.address, port: sa.port_value };
};
const listenerPort = (b: Any, name: string): number =>
  b.static_resources.listeners.find((l: Any) => l.name === name).address.socket_address.port_value;

/** Container path → repository path for the bind mounts of a compose service. */
function mounts(serviceName: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const v of compose.services[serviceName].volumes ?? []) {
    const [src, dst] = String(v).split(':');
    m.set(dst!, path.relative(REPO_ROOT, path.resolve(REPO_ROOT, ENVOY_DIR, src!)).split(path.sep).join('/'));
  }
  return m;
}

describe('docker-compose.yaml', () => {
  it('pins an official Envoy release image', () => {
    expect(compose.services.envoy.image).toMatch(/^envoyproxy\/envoy:v\d+\.\d+\.\d+$/);
  });

  it('has Envoy, the collector and two upstream services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['backend', 'collector', 'envoy', 'frontend']);
  });

  it('mounts the built module and both Envoy configs, and selects one with ENVOY_CONFIG', () => {
    const m = mounts('envoy');
    for (const f of Object.values(variants)) expect(m.get(`/etc/envoy/${f}`)).toBe(`${ENVOY_DIR}/${f}`);
    expect([...m.values()]).toContain(releaseWasmPath());
    expect(compose.services.envoy.command.join(' ')).toContain('-c /etc/envoy/${ENVOY_CONFIG:-envoy-otel.yaml}');
  });

  it('builds the collector from the repository Dockerfile and mounts its config where the image reads it', () => {
    const c = compose.services.collector;
    expect(path.resolve(REPO_ROOT, ENVOY_DIR, c.build.context)).toBe(REPO_ROOT);
    expect(c.build.dockerfile).toBe('Dockerfile');
    const cmd = execForm(parseDockerfile(readText('Dockerfile')).filter((i) => i.keyword === 'CMD').pop()!.args);
    const configPath = cmd[cmd.indexOf('--config') + 1]!;
    expect(mounts('collector').get(configPath)).toBe(`${ENVOY_DIR}/collector.yaml`);
    expect(c.read_only).toBe(true);
  });

  it('publishes the frontend inbound listener, Envoy admin and the collector metrics the script queries', () => {
    const script = readText(`${ENVOY_DIR}/send-requests.sh`);
    const published = [...compose.services.envoy.ports, ...compose.services.collector.ports].map((p: string) => Number(p.split(':').pop()));
    expect(published).toContain(listenerPort(bootstraps.otel, 'inbound_frontend'));
    expect(published).toContain(bootstraps.otel.admin.address.socket_address.port_value);
    expect(collectorCfg.service.telemetry.metrics.address, 'the deprecated address form').toBeUndefined();
    expect(published).toContain(endpointPort(parseConfigText(readText(`${ENVOY_DIR}/collector.yaml`), {}).service.telemetry.metrics.endpoint!));
    expect(script).toContain(`127.0.0.1:${listenerPort(bootstraps.otel, 'inbound_frontend')}`);
    expect(script).toContain(`127.0.0.1:${bootstraps.otel.admin.address.socket_address.port_value}/stats`);
    expect(script).toContain(`cat ${collectorCfg.exporters.file.path}`);
  });

  it('the frontend calls the backend through Envoy\'s outbound listener', () => {
    const url = new URL(compose.services.frontend.environment.BACKEND_URL);
    expect(url.hostname).toBe('envoy');
    expect(Number(url.port)).toBe(listenerPort(bootstraps.otel, 'outbound'));
    const outbound = hcms(bootstraps.otel).find((h) => h.listener.name === 'outbound')!.hcm;
    const domains = outbound.route_config.virtual_hosts.flatMap((v: Any) => v.domains);
    expect(domains).toContain(compose.services.frontend.environment.BACKEND_HOST);
  });
});

describe.each(Object.keys(variants) as (keyof typeof variants)[])('Envoy bootstrap (%s)', (variant) => {
  const b = bootstraps[variant];
  const all = hcms(b);

  it('looks like a sidecar (node id) and has inbound and outbound listeners with traffic_direction set', () => {
    expect(b.node.id).toMatch(/^sidecar~/);
    const dirs = b.static_resources.listeners.map((l: Any) => l.traffic_direction);
    for (const d of dirs) expect(['INBOUND', 'OUTBOUND']).toContain(d);
    expect(new Set(dirs)).toEqual(new Set(['INBOUND', 'OUTBOUND']));
  });

  it('routes inbound listeners to inbound| clusters and outbound listeners to outbound| clusters that exist', () => {
    for (const { listener, hcm } of all) {
      const prefix = listener.traffic_direction === 'INBOUND' ? 'inbound|' : 'outbound|';
      for (const vh of hcm.route_config.virtual_hosts) {
        for (const r of vh.routes) {
          expect(r.route.cluster.startsWith(prefix), `${listener.name} → ${r.route.cluster}`).toBe(true);
          cluster(b, r.route.cluster);
        }
      }
    }
  });

  it('the outbound cluster reaches the backend sidecar\'s inbound listener; inbound clusters reach the apps on 8080', () => {
    expect(clusterEndpoint(cluster(b, 'outbound|8080||backend.demo.svc.cluster.local')).port).toBe(listenerPort(b, 'inbound_backend'));
    expect(clusterEndpoint(cluster(b, 'inbound|8080|http|frontend.demo.svc.cluster.local'))).toEqual({ address: 'frontend', port: 8080 });
    expect(clusterEndpoint(cluster(b, 'inbound|8080|http|backend.demo.svc.cluster.local'))).toEqual({ address: 'backend', port: 8080 });
    expect(readText(`${ENVOY_DIR}/services/app.mjs`)).toMatch(/process\.env\.PORT \?\? 8080/);
  });

  it('every HTTP connection manager runs the meshtrace wasm filter before the router', () => {
    for (const { listener, hcm } of all) {
      const names = hcm.http_filters.map((f: Any) => f.name);
      expect(names, listener.name).toEqual(['envoy.filters.http.wasm', 'envoy.filters.http.router']);
      expect(hcm.http_filters[1].typed_config['@type']).toBe(ROUTER);
      expect(hcm.generate_request_id).toBe(true);
    }
  });

  it('the wasm filter loads the built module with the filter\'s root id, V8 and fail-open', () => {
    const wasmMounts = mounts('envoy');
    for (const { hcm } of all) {
      const f = hcm.http_filters[0].typed_config;
      expect(f['@type']).toBe(WASM);
      expect(filterRootIds()).toContain(f.config.root_id);
      expect(f.config.fail_open).toBe(true);
      expect(f.config.vm_config.runtime).toBe('envoy.wasm.runtime.v8');
      expect(wasmMounts.get(f.config.vm_config.code.local.filename)).toBe(releaseWasmPath());
    }
  });

  it('the wasm configuration is the WasmPlugin\'s pluginConfig, as JSON in a StringValue', () => {
    const pluginConfig = resourceInFile('wasmplugin/wasmplugin-namespace.yaml').spec.pluginConfig;
    for (const { hcm } of all) {
      const conf = hcm.http_filters[0].typed_config.config.configuration;
      expect(conf['@type']).toBe('type.googleapis.com/google.protobuf.StringValue');
      const parsed = JSON.parse(conf.value);
      expect(Object.keys(parsed).sort()).toEqual([...filterConfigKeys()].sort());
      expect(parsed).toEqual(pluginConfig);
    }
  });

  it('tracing tags the filter\'s stamp headers as meshtrace.kind / meshtrace.direction / meshtrace.healed / meshtrace.healed_trace', () => {
    const headers = filterDefaultHeaders();
    for (const { hcm } of all) {
      expect(hcm.tracing.custom_tags).toEqual([
        { tag: ATTR.meshtraceKind, request_header: { name: headers.kind } },
        { tag: ATTR.meshtraceDirection, request_header: { name: headers.direction } },
        { tag: HEALED_ATTRIBUTE, request_header: { name: headers.healed } },
        { tag: HEALED_TRACE_ATTRIBUTE, request_header: { name: headers.healedTrace } },
      ]);
      expect(hcm.tracing.random_sampling.value).toBe(100);
    }
  });

  it('the tracer sends to the collector service on the port its receiver listens on', () => {
    const provider = all[0]!.hcm.tracing.provider;
    for (const { hcm } of all) expect(hcm.tracing.provider).toEqual(provider);
    if (variant === 'otel') {
      expect(provider.name).toBe('envoy.tracers.opentelemetry');
      expect(provider.typed_config['@type']).toBe('type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig');
      const c = cluster(b, provider.typed_config.grpc_service.envoy_grpc.cluster_name);
      expect(c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config)
        .toHaveProperty('http2_protocol_options');
      expect(clusterEndpoint(c)).toEqual({ address: 'collector', port: endpointPort(collectorCfg.receivers.otlp.protocols.grpc.endpoint) });
    } else {
      expect(provider.name).toBe('envoy.tracers.zipkin');
      const z = provider.typed_config;
      expect(z['@type']).toBe('type.googleapis.com/envoy.config.trace.v3.ZipkinConfig');
      expect(z).toMatchObject({ collector_endpoint: '/api/v2/spans', collector_endpoint_version: 'HTTP_JSON', trace_id_128bit: true, shared_span_context: false });
      expect(clusterEndpoint(cluster(b, z.collector_cluster))).toEqual({ address: 'collector', port: endpointPort(collectorCfg.receivers.zipkin.endpoint) });
    }
  });
});

it('the two Envoy variants differ only in the tracer and its cluster', () => {
  const strip = (b: Any): Any => {
    const c = structuredClone(b);
    for (const l of c.static_resources.listeners) for (const fc of l.filter_chains) for (const f of fc.filters) delete f.typed_config.tracing.provider;
    c.static_resources.clusters = c.static_resources.clusters.filter((x: Any) => !x.name.startsWith('meshtrace_collector_'));
    return c;
  };
  expect(strip(bootstraps.zipkin)).toEqual(strip(bootstraps.otel));
});

describe('summarize-spans.mjs (what send-requests.sh prints)', () => {
  const request = {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'frontend.demo' } }] },
      scopeSpans: [{
        spans: [
          { traceId: 'aa'.repeat(16), spanId: '02'.repeat(8), parentSpanId: '01'.repeat(8), name: 'backend:8080/*', kind: 3, startTimeUnixNano: '2000',
            attributes: [{ key: 'meshtrace.kind', value: { stringValue: 'client' } }, { key: 'meshtrace.direction', value: { stringValue: 'outbound' } },
              { key: 'upstream_cluster', value: { stringValue: 'outbound|8080||backend.demo.svc.cluster.local' } }] },
          { traceId: 'aa'.repeat(16), spanId: '01'.repeat(8), name: 'frontend:8080/*', kind: 'SPAN_KIND_SERVER', startTimeUnixNano: '1000',
            attributes: [{ key: 'meshtrace.kind', value: { stringValue: 'server' } }] },
        ],
      }],
    }],
  };

  it('flattens spans with their service, kind and meshtrace tags', () => {
    const spans = spansOf(request);
    expect(spans).toHaveLength(2);
    expect(spans[0]).toMatchObject({ kind: 'CLIENT', service: 'frontend.demo', meshtraceKind: 'client', meshtraceDirection: 'outbound',
      upstreamCluster: 'outbound|8080||backend.demo.svc.cluster.local', parentSpanId: '01'.repeat(8) });
    expect(spans[1]).toMatchObject({ kind: 'SERVER', meshtraceDirection: '-', parentSpanId: '-' });
    expect(kindName(2)).toBe('SERVER');
    expect(kindName(undefined)).toBe('UNSPECIFIED');
  });

  it('groups by trace, in start order', () => {
    const text: string = formatSummary(spansOf(request));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`trace ${'aa'.repeat(16)} (2 spans)`);
    expect(lines[1]).toContain('SERVER');
    expect(lines[2]).toContain('CLIENT');
    expect(lines[2]).toContain('meshtrace.kind=client meshtrace.direction=outbound');
  });
});
