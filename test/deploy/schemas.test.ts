/**
 * Every deployment YAML parses, every resource validates against its schema, and the validators
 * themselves reject broken resources (so a pass means something).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listYamlFiles, loadResources, parseYamlFile, readText, repoPath, resourceInFile, type K8sObject } from './manifests.js';
import {
  checkWithSchema,
  validateMeshConfig,
  validateResource,
  validateTelemetrySchema,
  validateWasmPluginSchema,
} from './validators.js';
import { parse as parseYaml } from 'yaml';

const clone = <T>(v: T): T => structuredClone(v);

describe('every YAML file parses', () => {
  const files = listYamlFiles();
  it('finds the deployment files', () => {
    expect(files).toEqual(expect.arrayContaining([
      'manifests/collector/deployment.yaml',
      'manifests/istio/telemetry.yaml',
      'wasmplugin/wasmplugin-namespace.yaml',
      'test/envoy/envoy-otel.yaml',
      'test/envoy/docker-compose.yaml',
    ]));
  });
  it.each(files)('%s', (file) => {
    expect(parseYamlFile(file).length).toBeGreaterThan(0);
  });
  it('refuses a file with a YAML error or a duplicate key', () => {
    expect(() => parseYamlFile('test/deploy/fixtures/duplicate-key.yaml')).toThrow(/duplicate key|unique/i);
  });
});

describe('every Kubernetes and Istio resource validates against its schema', () => {
  const resources = loadResources();
  it('finds the resources', () => {
    const kinds = new Set(resources.map((r) => r.obj.kind));
    for (const k of ['Namespace', 'ServiceAccount', 'ConfigMap', 'Secret', 'Service', 'Deployment', 'PodDisruptionBudget',
      'HorizontalPodAutoscaler', 'IstioOperator', 'Telemetry', 'WasmPlugin']) {
      expect(kinds, k).toContain(k);
    }
  });
  it.each(resources.map((r) => [`${r.file}: ${r.obj.kind}/${r.obj.metadata?.name}`, r.obj] as const))('%s', (_label, obj) => {
    expect(() => validateResource(obj)).not.toThrow();
  });

  it('istiod-values.yaml (Helm) validates and carries the same meshConfig as the IstioOperator', () => {
    const values = parseYaml(readText('manifests/istio/istiod-values.yaml')) as { meshConfig: Record<string, unknown> };
    checkWithSchema(validateMeshConfig, values.meshConfig, 'istiod-values meshConfig');
    const op = resourceInFile('manifests/istio/istio-operator.yaml');
    expect(values.meshConfig).toEqual(op.spec.meshConfig);
  });
});

describe('the validators reject broken resources', () => {
  const wasm = resourceInFile('wasmplugin/wasmplugin-namespace.yaml');
  const tel = resourceInFile('manifests/istio/telemetry.yaml');
  const op = resourceInFile('manifests/istio/istio-operator.yaml');
  const dep = loadResources().find((r) => r.obj.kind === 'Deployment' && r.obj.metadata.name === 'meshtrace-collector')!.obj;

  const wasmCases: [string, (w: K8sObject) => void][] = [
    ['misspelt field', (w) => { w.spec.failStategy = 'FAIL_OPEN'; }],
    ['unknown failStrategy', (w) => { w.spec.failStrategy = 'FAIL_OPENN'; }],
    ['unknown phase', (w) => { w.spec.phase = 'AUTHENTICATION'; }],
    ['selector and targetRefs together', (w) => { w.spec.selector = { matchLabels: { app: 'x' } }; w.spec.targetRefs = [{ kind: 'Gateway', name: 'g' }]; }],
    ['upper-case sha256', (w) => { w.spec.sha256 = 'A'.repeat(64); }],
    ['short sha256', (w) => { w.spec.sha256 = 'abc'; }],
    ['no url', (w) => { delete w.spec.url; }],
    ['wildcard label', (w) => { w.spec.selector = { matchLabels: { app: '*' } }; }],
    ['port out of range', (w) => { w.spec.match = [{ mode: 'SERVER', ports: [{ number: 70000 }] }]; }],
    ['pluginConfig not an object', (w) => { w.spec.pluginConfig = 'direction=auto'; }],
  ];
  it.each(wasmCases)('WasmPlugin: %s', (_name, mutate) => {
    const w = clone(wasm);
    expect(validateWasmPluginSchema(w)).toBe(true);
    mutate(w);
    expect(() => validateResource(w)).toThrow();
  });

  const telCases: [string, (t: K8sObject) => void][] = [
    ['header tag without name', (t) => { t.spec.tracing[0].customTags['meshtrace.kind'] = { header: {} }; }],
    ['tag with two sources', (t) => { t.spec.tracing[0].customTags['meshtrace.kind'] = { header: { name: 'a' }, literal: { value: 'b' } }; }],
    ['sampling above 100', (t) => { t.spec.tracing[0].randomSamplingPercentage = 101; }],
    ['provider without name', (t) => { t.spec.tracing[0].providers = [{}]; }],
    ['misspelt field', (t) => { t.spec.tracing[0].customTag = {}; }],
    ['unknown match mode', (t) => { t.spec.tracing[0].match = { mode: 'BOTH' }; }],
  ];
  it.each(telCases)('Telemetry: %s', (_name, mutate) => {
    const t = clone(tel);
    expect(validateTelemetrySchema(t)).toBe(true);
    mutate(t);
    expect(() => validateResource(t)).toThrow();
  });

  const opCases: [string, (o: K8sObject) => void][] = [
    ['port 0', (o) => { o.spec.meshConfig.extensionProviders[0].opentelemetry.port = 0; }],
    ['port as a string', (o) => { o.spec.meshConfig.extensionProviders[0].opentelemetry.port = '4317'; }],
    ['service not a host name', (o) => { o.spec.meshConfig.extensionProviders[1].zipkin.service = 'http://collector:9411'; }],
    ['two tracers in one provider', (o) => { o.spec.meshConfig.extensionProviders[0].zipkin = { service: 'a.b', port: 1 }; }],
    ['misspelt field', (o) => { o.spec.meshConfig.extensionProviders[0].opentelemetry.maxTagLen = 10; }],
    ['misspelt meshConfig key', (o) => { o.spec.meshConfig.enableTracng = true; }],
    ['stats matcher with an invalid regex', (o) => { o.spec.meshConfig.defaultConfig.proxyStatsMatcher.inclusionRegexps = ['(meshtrace']; }],
  ];
  it.each(opCases)('IstioOperator meshConfig: %s', (_name, mutate) => {
    const o = clone(op);
    expect(() => validateResource(o)).not.toThrow();
    mutate(o);
    expect(() => validateResource(o)).toThrow();
  });

  it('Deployment: a string containerPort and an unknown imagePullPolicy', () => {
    const d = clone(dep);
    d.spec.template.spec.containers[0].ports[0].containerPort = '4317';
    expect(() => validateResource(d)).toThrow(/containerPort/);
    const e = clone(dep);
    e.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
    expect(() => validateResource(e)).toThrow(/imagePullPolicy/);
  });

  it('an unknown kind has no validator', () => {
    expect(() => validateResource({ apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 'x' } })).toThrow(/no validator/);
  });
});

describe('kustomizations', () => {
  const dirs = ['manifests/collector', 'manifests/redis'];
  it.each(dirs)('%s lists every resource file of its folder (the Secret example excepted) and nothing missing', (dir) => {
    const k = parseYaml(readText(`${dir}/kustomization.yaml`)) as { resources: string[] };
    for (const r of k.resources) expect(fs.existsSync(repoPath(dir, r)), `${dir}/${r}`).toBe(true);
    const files = fs.readdirSync(repoPath(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && !f.includes('example'));
    expect([...k.resources].sort()).toEqual(files.sort());
  });
  it('the collector kustomization leaves the Secret example out', () => {
    const k = parseYaml(readText('manifests/collector/kustomization.yaml')) as { resources: string[] };
    expect(k.resources.some((r) => path.basename(r).includes('secret'))).toBe(false);
  });
});
