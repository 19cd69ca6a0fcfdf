/**
 * Every deployment and config file passes the validator of the program that reads it (see
 * config-files.ts), and every validator is proven able to fail: each case mutates a copy of a
 * shipped file that passes (a misspelt field, a wrong enum value, an unknown @type) and expects
 * the refusal, as `kubectl apply` (strict field validation), Envoy, docker compose, kustomize or
 * the collector would refuse it.
 */
import { describe, expect, it } from 'vitest';
import { classify, checkConfigFile, configFiles, type ConfigFile, type ConfigKind } from './config-files.js';
import { envoyApiCoverage } from './envoy-api.js';
import type { K8sObject } from './manifests.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const files = configFiles();
const byFile = (file: string): ConfigFile => {
  const f = files.find((x) => x.file === file);
  if (!f) throw new Error(`no config file ${file}`);
  return f;
};
const resource = (kind: string, name: string): { file: ConfigFile; index: number } => {
  for (const f of files.filter((x) => x.kind === 'resources')) {
    const index = (f.docs as K8sObject[]).findIndex((d) => d.kind === kind && d.metadata?.name === name);
    if (index >= 0) return { file: f, index };
  }
  throw new Error(`no ${kind} ${name}`);
};

/** A copy of `f` with `mutate` applied to document `index`; the original must pass first. */
function mutated(f: ConfigFile, mutate: (doc: Any) => void, index = 0): ConfigFile {
  expect(() => checkConfigFile(f)).not.toThrow();
  const docs = structuredClone(f.docs);
  mutate(docs[index]);
  return { ...f, docs };
}

describe('every deployment and config file passes its validator', () => {
  it('finds every kind of file', () => {
    const kinds = new Set(files.map((f) => f.kind));
    for (const k of ['resources', 'envoy', 'compose', 'collector', 'helm-values', 'kustomization'] as ConfigKind[]) expect(kinds, k).toContain(k);
    expect(files.map((f) => f.file)).toEqual(expect.arrayContaining([
      'manifests/collector/deployment.yaml', 'wasmplugin/wasmplugin-https.template.yaml', 'test/envoy/envoy-otel.yaml',
      'test/envoy/docker-compose.yaml', 'test/envoy/collector.yaml', 'collector/config/default.yaml',
    ]));
  });

  it.each(files.map((f) => [`${f.file} (${f.kind})`, f] as const))('%s', (_label, f) => {
    expect(() => checkConfigFile(f)).not.toThrow();
  });

  it('a file no validator recognises is an error, not a pass', () => {
    expect(classify('manifests/x/notes.yaml', [{ hello: 'world' }])).toBeUndefined();
    expect(classify('manifests/x/empty.yaml', [])).toBeUndefined();
  });

  it('the Envoy API comes from the registry package and covers the v3 API', () => {
    const { files: loaded, skipped } = envoyApiCoverage();
    expect(loaded).toBeGreaterThan(300);
    // Skipped: files whose imports the package leaves out, i.e. old v2/v2alpha files and the v3
    // files that import OpenCensus, OpenTelemetry or Prometheus protos (none of them used here).
    expect(skipped.filter((s) => !/\/v2(alpha\d?)?\//.test(s)).sort()).toEqual([
      'envoy/config/trace/v3/opencensus.proto',
      'envoy/config/trace/v3/trace.proto',
      'envoy/extensions/access_loggers/open_telemetry/v3/logs_service.proto',
      'envoy/service/metrics/v3/metrics_service.proto',
      'envoy/service/trace/v3/trace_service.proto',
    ]);
  });
});

describe('each validator is able to fail', () => {
  const cases: [string, () => ConfigFile, RegExp][] = [
    // The four misspellings kubectl and Envoy refuse.
    ['Deployment: initialDelaySecond', () => { const r = resource('Deployment', 'meshtrace-collector'); return mutated(r.file, (d) => { d.spec.template.spec.containers[0].livenessProbe.initialDelaySecond = 10; }, r.index); }, /initialDelaySecond/],
    ['HorizontalPodAutoscaler: averageUtilisation', () => { const r = resource('HorizontalPodAutoscaler', 'meshtrace-collector'); return mutated(r.file, (d) => { d.spec.metrics[0].resource.target.averageUtilisation = 70; }, r.index); }, /averageUtilisation/],
    ['Envoy cluster: connect_timout', () => mutated(byFile('test/envoy/envoy-otel.yaml'), (b) => { b.static_resources.clusters[0].connect_timout = '1s'; }), /connect_timout/],
    ['Envoy tracing: spawn_upstream_spans', () => mutated(byFile('test/envoy/envoy-zipkin.yaml'), (b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.tracing.spawn_upstream_spans = true; }), /spawn_upstream_spans/],
    // Wrong enum values.
    ['Envoy: traffic_direction INBOUNDD', () => mutated(byFile('test/envoy/envoy-otel.yaml'), (b) => { b.static_resources.listeners[0].traffic_direction = 'INBOUNDD'; }), /INBOUNDD/],
    ['Envoy: cluster type STRICT_DSN', () => mutated(byFile('test/envoy/envoy-otel.yaml'), (b) => { b.static_resources.clusters[0].type = 'STRICT_DSN'; }), /STRICT_DSN/],
    ['Deployment: imagePullPolicy Sometimes', () => { const r = resource('Deployment', 'meshtrace-collector'); return mutated(r.file, (d) => { d.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes'; }, r.index); }, /imagePullPolicy|allowed values/],
    ['WasmPlugin: failStrategy FAIL_OPENN', () => { const r = resource('WasmPlugin', 'meshtrace-gateway'); return mutated(r.file, (d) => { d.spec.failStrategy = 'FAIL_OPENN'; }, r.index); }, /failStrategy|allowed values/],
    ['NetworkPolicy: policyTypes Inbound', () => { const r = resource('NetworkPolicy', 'meshtrace-collector'); return mutated(r.file, (d) => { d.spec.policyTypes = ['Inbound']; }, r.index); }, /policyTypes|allowed values/],
    // Unknown @type.
    ['Envoy: unknown @type of an HTTP filter', () => mutated(byFile('test/envoy/envoy-otel.yaml'), (b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.WasmFilter'; }), /no such type|WasmFilter/],
    ['Envoy: a misspelt field inside an Any (the wasm filter\'s vm_config)', () => mutated(byFile('test/envoy/envoy-otel.yaml'), (b) => { b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.config.vm_config.runtme = 'v8'; }), /runtme/],
    // Misspelt fields elsewhere.
    ['NetworkPolicy: namespaceSelecter', () => { const r = resource('NetworkPolicy', 'meshtrace-collector'); return mutated(r.file, (d) => { d.spec.ingress[0].from[0].namespaceSelecter = {}; }, r.index); }, /namespaceSelecter/],
    ['Service: targetPorts', () => { const r = resource('Service', 'meshtrace-collector'); return mutated(r.file, (d) => { d.spec.ports[0].targetPorts = 4317; }, r.index); }, /targetPorts/],
    ['WasmPlugin: failStategy', () => { const r = resource('WasmPlugin', 'meshtrace-gateway'); return mutated(r.file, (d) => { d.spec.failStategy = 'FAIL_OPEN'; }, r.index); }, /failStategy/],
    ['Telemetry: randomSamplingPercentages', () => mutated(byFile('manifests/istio/telemetry.yaml'), (t) => { t.spec.tracing[0].randomSamplingPercentages = 1; }), /randomSamplingPercentages/],
    ['IstioOperator: profle', () => mutated(byFile('manifests/istio/istio-operator.yaml'), (o) => { o.spec.profle = 'demo'; }), /profle/],
    ['ConfigMap collector config: endpont', () => { const r = resource('ConfigMap', 'meshtrace-collector'); return mutated(r.file, (d) => { d.data['collector.yaml'] = d.data['collector.yaml'].replace('endpoint: 0.0.0.0:9411', 'endpont: 0.0.0.0:9411'); }, r.index); }, /receivers\.zipkin: has invalid keys: endpont/],
    ['compose: read_olny', () => mutated(byFile('test/envoy/docker-compose.yaml'), (c) => { c.services.collector.read_olny = true; }), /read_olny/],
    ['compose: a top-level key the spec does not have', () => mutated(byFile('test/envoy/docker-compose.yaml'), (c) => { c.service = {}; }), /additional/],
    ['kustomization: resource', () => mutated(byFile('manifests/collector/kustomization.yaml'), (k) => { k.resource = k.resources; }), /additional/],
    ['kustomization: a missing file', () => mutated(byFile('manifests/collector/kustomization.yaml'), (k) => { k.resources.push('nope.yaml'); }), /nope\.yaml does not exist/],
    ['Helm values: meshconfig', () => mutated(byFile('manifests/istio/istiod-values.yaml'), (v) => { v.meshconfig = v.meshConfig; }), /additional/],
    ['Helm values: enableTracng', () => mutated(byFile('manifests/istio/istiod-values.yaml'), (v) => { v.meshConfig.enableTracng = true; }), /enableTracng|additional/],
  ];
  it.each(cases)('%s', (_name, make, msg) => {
    const broken = make();
    expect(() => checkConfigFile(broken)).toThrow(msg);
  });

  it.each([
    ['test/envoy/collector.yaml', 'endpoint: 0.0.0.0:9411', 'endpiont: 0.0.0.0:9411', /receivers\.zipkin: has invalid keys: endpiont/],
    ['collector/config/default.yaml', 'receivers:', 'recievers:', /has invalid keys: recievers/],
    ['test/envoy/collector.yaml', 'port: 8888', 'port: "8888x"', /service\.telemetry\.metrics\.readers\[0\]\.pull\.exporter\.prometheus\.port/],
  ])('collector config %s: %s → %s is refused', (file, from, to, msg) => {
    const f = byFile(file);
    expect(() => checkConfigFile(f)).not.toThrow();
    expect(f.text).toContain(from);
    expect(() => checkConfigFile({ ...f, text: f.text.replace(from, to) })).toThrow(msg);
  });
});
