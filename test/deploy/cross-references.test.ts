/**
 * The deployment pieces agree with each other and with the code they deploy: Service ports ↔
 * container ports ↔ the collector config's endpoints ↔ Istio's extension providers; Telemetry
 * tags ↔ the filter's stamp headers ↔ the collector's istio processor; pluginName ↔ the filter's
 * root id; probes ↔ the health_check extension; the image's command ↔ the Deployment ↔ the
 * ConfigMap mount ↔ the command the collector's tests run; and the ConfigMap's config passes the
 * collector's own validation.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseConfigText } from '../../collector/config/load.js';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../../collector/service/service.js';
import { ATTR } from '../../collector/processor/istioprocessor/span-facts.js';
import { HEALED_ATTRIBUTE, HEALED_TRACE_ATTRIBUTE } from '../../collector/processor/reparentprocessor/processor.js';
import { buildWasmPlugin, FILTER_DEFAULTS, PLUGIN_NAME } from '../../scripts/print-wasmplugin.js';
import { cliPath as harnessCliPath, repoRoot as harnessRoot } from '../collector/harness.js';
import { filterConfigKeys, filterDefaultHeaders, filterRootIds, releaseWasmPath } from './filter-facts.js';
import {
  endpointPort,
  execForm,
  findResource,
  loadResources,
  parseDockerfile,
  readText,
  repoPath,
  REPO_ROOT,
  resourceInFile,
  type K8sObject,
} from './manifests.js';

const resources = loadResources();
const NS = 'meshtrace';
/** The request header the filter sets on healed requests (issue 11; the filter's default name). */
const HEALED_HEADER = filterDefaultHeaders().healed;
/** The request header naming the healed trace (its trace ID), the filter's default name. */
const HEALED_TRACE_HEADER = filterDefaultHeaders().healedTrace;
const deployment = findResource(resources, 'Deployment', 'meshtrace-collector');
const service = findResource(resources, 'Service', 'meshtrace-collector');
const configMap = findResource(resources, 'ConfigMap', 'meshtrace-collector');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers.find((c: { name: string }) => c.name === 'collector');
const collectorYaml: string = configMap.data!['collector.yaml']!;
const collectorCfg = parseYaml(collectorYaml) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const operator = resourceInFile('manifests/istio/istio-operator.yaml');
const telemetries = [resourceInFile('manifests/istio/telemetry.yaml'), resourceInFile('manifests/istio/zipkin/telemetry.yaml')];
const waypointTelemetry = resourceInFile('manifests/istio/waypoint/telemetry.yaml');
const wasmNamespace = resourceInFile('wasmplugin/wasmplugin-namespace.yaml');
const wasmGateway = resourceInFile('wasmplugin/wasmplugin-gateway.yaml');
const wasmHttps = resourceInFile('wasmplugin/wasmplugin-https.template.yaml');
const wasmWaypoint = resourceInFile('wasmplugin/wasmplugin-waypoint.yaml');
const wasmPlugins = [wasmNamespace, wasmGateway, wasmHttps, wasmWaypoint];

function containerPort(name: string): number {
  const p = container.ports.find((x: { name: string }) => x.name === name);
  if (!p) throw new Error(`container has no port named ${name}`);
  return p.containerPort;
}

function servicePort(name: string): { port: number; targetPort: string | number; appProtocol?: string } {
  const p = service.spec.ports.find((x: { name: string }) => x.name === name);
  if (!p) throw new Error(`Service has no port named ${name}`);
  return p;
}

/** The env the Deployment gives the container, with Secret references filled by a stand-in. */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) env[e.name] = e.value ?? `<${e.valueFrom?.secretKeyRef?.name}/${e.valueFrom?.secretKeyRef?.key}>`;
  return env;
}

const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('ports: Service ↔ container ↔ collector config ↔ Istio extension providers', () => {
  it('the Service has exactly the named ports grpc-otlp 4317, http-otlp 4318, http-zipkin 9411', () => {
    const ports = Object.fromEntries(service.spec.ports.map((p: { name: string; port: number }) => [p.name, p.port]));
    expect(ports).toEqual({ 'grpc-otlp': 4317, 'http-otlp': 4318, 'http-zipkin': 9411 });
    expect(servicePort('grpc-otlp').appProtocol).toBe('grpc');
  });

  it.each(['grpc-otlp', 'http-otlp', 'http-zipkin'])('Service port %s targets the container port of that name and number', (name) => {
    const sp = servicePort(name);
    expect(sp.targetPort).toBe(name);
    expect(containerPort(name)).toBe(sp.port);
  });

  it('the receivers listen on all interfaces, on the container ports', () => {
    const r = collectorCfg.receivers;
    const cases: [string, string][] = [
      [r.otlp.protocols.grpc.endpoint, 'grpc-otlp'],
      [r.otlp.protocols.http.endpoint, 'http-otlp'],
      [r.zipkin.endpoint, 'http-zipkin'],
    ];
    for (const [endpoint, portName] of cases) {
      expect(endpoint, portName).toMatch(/^(0\.0\.0\.0|\[::\]|):\d+$/);
      expect(endpointPort(endpoint)).toBe(containerPort(portName));
    }
  });

  it('the extension providers point at the collector Service and its ports, by protocol', () => {
    const host = `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
    const providers = operator.spec.meshConfig.extensionProviders as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const otel = providers.find((p) => p.opentelemetry)!.opentelemetry;
    const zipkin = providers.find((p) => p.zipkin)!.zipkin;
    expect(otel.service).toBe(host);
    expect(zipkin.service).toBe(host);
    // No `http` block: Envoy's OpenTelemetry tracer speaks OTLP/gRPC, so the grpc-otlp port.
    expect(otel.http).toBeUndefined();
    expect(otel.port).toBe(servicePort('grpc-otlp').port);
    expect(zipkin.port).toBe(servicePort('http-zipkin').port);
  });

  it('every Telemetry names a provider the mesh config registers', () => {
    const names = (operator.spec.meshConfig.extensionProviders as { name: string }[]).map((p) => p.name);
    for (const t of telemetries) {
      for (const tr of t.spec.tracing) for (const p of tr.providers) expect(names).toContain(p.name);
    }
    expect(telemetries.map((t) => t.spec.tracing[0].providers[0].name).sort()).toEqual([...names].sort());
    for (const tr of waypointTelemetry.spec.tracing) for (const p of tr.providers) expect(names).toContain(p.name);
  });

  it('own metrics: the scrape annotation, the container port and the pull prometheus reader agree', () => {
    const annotations = deployment.spec.template.metadata.annotations;
    expect(collectorCfg.service.telemetry.metrics.address, 'the deprecated address form').toBeUndefined();
    const port = endpointPort(parseConfigText(collectorYaml, { ...containerEnv() }).service.telemetry.metrics.endpoint!);
    expect(Number(annotations['prometheus.io/port'])).toBe(port);
    expect(containerPort('metrics')).toBe(port);
    expect(annotations['prometheus.io/path']).toBe('/metrics');
  });

  it('the optional Redis: Service ↔ container port ↔ the epoch_store URL suggested in the ConfigMap', () => {
    const redisSvc = findResource(resources, 'Service', 'meshtrace-redis');
    const redisDep = findResource(resources, 'Deployment', 'meshtrace-redis');
    const m = /#\s*epoch_store:\s*(redis:\/\/\S+)/.exec(collectorYaml);
    expect(m, 'commented epoch_store line in the ConfigMap').not.toBeNull();
    const url = new URL(m![1]!.replace('${env:REDIS_PASSWORD}', 'pw'));
    expect(url.password).toBe('pw');
    expect(url.hostname).toBe(`${redisSvc.metadata.name}.${redisSvc.metadata.namespace}.svc.cluster.local`);
    const svcPort = redisSvc.spec.ports[0];
    expect(Number(url.port)).toBe(svcPort.port);
    const cPort = redisDep.spec.template.spec.containers[0].ports.find((p: { name: string }) => p.name === svcPort.targetPort);
    expect(cPort.containerPort).toBe(svcPort.port);
    expect(labelsMatch(redisSvc.spec.selector, redisDep.spec.template.metadata.labels)).toBe(true);
  });
});

describe('health, selectors, namespace, pod hardening', () => {
  it('readiness and liveness probe the health_check endpoint: its port and path', () => {
    const hc = collectorCfg.extensions.health_check;
    expect(collectorCfg.service.extensions).toContain('health_check');
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      expect(probe.httpGet.port).toBe('health');
      expect(containerPort(probe.httpGet.port)).toBe(endpointPort(hc.endpoint));
      expect(probe.httpGet.path).toBe(hc.path ?? '/');
    }
    expect(hc.endpoint).toMatch(/^0\.0\.0\.0:/); // the kubelet probes the pod IP
  });

  it('Service, PodDisruptionBudget and Deployment select the collector pods; the HPA scales that Deployment', () => {
    const podLabels = deployment.spec.template.metadata.labels;
    expect(labelsMatch(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    expect(labelsMatch(service.spec.selector, podLabels)).toBe(true);
    const pdb = findResource(resources, 'PodDisruptionBudget', 'meshtrace-collector');
    expect(labelsMatch(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    const hpa = findResource(resources, 'HorizontalPodAutoscaler', 'meshtrace-collector');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThan(pdb.spec.minAvailable); // a drain can always evict one pod
  });

  it('every collector resource lives in the namespace the manifests create, which is outside the mesh', () => {
    const nsObj = findResource(resources, 'Namespace', NS);
    expect(nsObj.metadata.labels?.['istio-injection']).toBe('disabled');
    const inCollectorDirs = resources.filter((r) => r.file.startsWith('manifests/collector/') || r.file.startsWith('manifests/redis/'));
    for (const r of inCollectorDirs.filter((x) => x.obj.kind !== 'Namespace')) expect(r.obj.metadata.namespace, r.file).toBe(NS);
  });

  it.each(['meshtrace-collector', 'meshtrace-redis'])('%s pods are never injected with a sidecar', (name) => {
    const dep = findResource(resources, 'Deployment', name);
    expect(dep.spec.template.metadata.labels['sidecar.istio.io/inject']).toBe('false');
  });

  it.each(['meshtrace-collector', 'meshtrace-redis'])('%s runs non-root, read-only, without capabilities, with requests and limits', (name) => {
    const spec = findResource(resources, 'Deployment', name).spec.template.spec;
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
    for (const c of spec.containers) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
  });

  it('memory: memory_limiter and the V8 heap both stay under the container limit', () => {
    const limitMiB = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)![1]);
    const ml = collectorCfg.processors.memory_limiter;
    expect(ml.limit_mib).toBeLessThan(limitMiB);
    const heap = Number(/--max-old-space-size=(\d+)/.exec(containerEnv().NODE_OPTIONS ?? '')?.[1]);
    expect(heap).toBeLessThan(limitMiB);
    expect(collectorCfg.service.pipelines.traces.processors[0]).toBe('memory_limiter');
  });

  it('the termination grace period outlasts preStop + the collector\'s drain deadline', () => {
    const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(preStop + DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000 + 1);
  });

  it('the ServiceAccount exists, carries the IRSA role annotation, and mounts no API token', () => {
    const sa = findResource(resources, 'ServiceAccount', podSpec.serviceAccountName);
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/);
    expect(sa.automountServiceAccountToken).toBe(false);
  });
});

describe('secrets and environment', () => {
  it('the OTLP token comes from the Secret through ${env:...} into the Authentication header', () => {
    const env = container.env.find((e: { name: string }) => e.name === 'OTLP_AUTH_TOKEN');
    const secret = resourceInFile('manifests/collector/secret.example.yaml');
    expect(env.valueFrom.secretKeyRef).toEqual({ name: secret.metadata.name, key: Object.keys((secret as K8sObject & { stringData: object }).stringData)[0] });
    expect(collectorCfg.exporters.otlphttp.headers.Authentication).toBe('${env:OTLP_AUTH_TOKEN}');
    expect(collectorYaml).not.toMatch(/replace-me/);
  });

  it('every ${env:NAME} the collector config uses is set by the Deployment', () => {
    const names = [...collectorYaml.matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}/g)].filter((m) => !m[2]).map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(0);
    const env = containerEnv();
    for (const n of names) expect(env, n).toHaveProperty(n);
  });
});

describe('the ConfigMap config passes the collector\'s own validation', () => {
  const env = { ...containerEnv(), OTLP_AUTH_TOKEN: 'token-from-secret', REDIS_PASSWORD: '0123abcd'.repeat(8) };

  it('parseConfigText accepts it, with the pipeline and exporters the manifests document', () => {
    const cfg = parseConfigText(collectorYaml, env);
    const [traces] = cfg.service.pipelines;
    expect(traces).toMatchObject({ receivers: ['otlp', 'zipkin'], processors: ['memory_limiter', 'istio', 'reparent', 'batch'], exporters: ['otlphttp/xray', 'otlphttp'] });
    const otlphttp = cfg.exporters.get('otlphttp')!.config as { headers: Record<string, string> };
    expect(otlphttp.headers.Authentication).toBe('token-from-secret');
    // X-Ray's OTLP endpoint in the Deployment's region, signed by the enabled sigv4auth extension.
    const xray = cfg.exporters.get('otlphttp/xray')!.config as { url: string; authenticator?: string };
    expect(xray).toMatchObject({ url: `https://xray.${env.AWS_REGION}.amazonaws.com/v1/traces`, authenticator: 'sigv4auth' });
    expect(cfg.service.extensions).toContain('sigv4auth');
    expect(cfg.extensions.get('sigv4auth')!.config).toMatchObject({ region: env.AWS_REGION, service: 'xray' });
    expect(cfg.service.telemetry.metrics.endpoint).toMatch(/:8888$/);
  });

  it('the awsxray route (accounts without Transaction Search) passes too, with the Redis epoch store switched on', () => {
    const withRedis = collectorYaml
      .replace(/#\s*(epoch_store:\s*redis:\/\/\S+)/, '$1')
      .replace('exporters: [otlphttp/xray, otlphttp]', 'exporters: [awsxray, otlphttp]');
    expect(withRedis).toContain('exporters: [awsxray, otlphttp]');
    expect(withRedis).toMatch(/^\s+epoch_store: redis:/m);
    const cfg = parseConfigText(withRedis, env);
    expect((cfg.exporters.get('awsxray')!.config as { epochStore?: string }).epochStore).toBe(`redis://:${env.REDIS_PASSWORD}@meshtrace-redis.meshtrace.svc.cluster.local:6379`);
  });

  it('a broken copy is refused (the validation is real)', () => {
    const broken = collectorYaml.replace('endpoint: 0.0.0.0:4317', 'endpoint: 0.0.0.0:notaport');
    expect(() => parseConfigText(broken, env)).toThrow(/receivers\.otlp/);
  });

  it('the local Envoy setup\'s collector config passes too', () => {
    expect(() => parseConfigText(readText('test/envoy/collector.yaml'), {})).not.toThrow();
  });

  it('`node dist/collector/cli.js validate --config FILE` (the image\'s program) accepts it', () => {
    const cli = repoPath('dist/collector/cli.js');
    expect(fs.existsSync(cli), 'dist/collector/cli.js missing: run `npm run build:ts` first').toBe(true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-deploy-'));
    try {
      const file = path.join(dir, 'collector.yaml');
      fs.writeFileSync(file, collectorYaml);
      const out = execFileSync('node', ['dist/collector/cli.js', 'validate', '--config', file], {
        cwd: REPO_ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 20_000,
      });
      expect(out + '').not.toMatch(/error/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('image ↔ Deployment ↔ ConfigMap ↔ the collector tests\' command', () => {
  const docker = parseDockerfile(readText('Dockerfile'));
  const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];
  const entrypoint = execForm(last(docker.filter((i) => i.keyword === 'ENTRYPOINT'))!.args);
  const cmd = execForm(last(docker.filter((i) => i.keyword === 'CMD'))!.args);
  const TEST_COMMAND = ['node', 'dist/collector/cli.js', '--config'];

  it('ENTRYPOINT + CMD is `node dist/collector/cli.js --config /etc/meshtrace/collector.yaml`', () => {
    expect([...entrypoint, ...cmd]).toEqual([...TEST_COMMAND, '/etc/meshtrace/collector.yaml']);
  });

  it('the Deployment keeps the entrypoint, passes the same arguments, and mounts the ConfigMap key at that path', () => {
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(cmd);
    const configPath = cmd[cmd.indexOf('--config') + 1]!;
    const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === path.posix.dirname(configPath));
    expect(mount, `a volume mounted at ${path.posix.dirname(configPath)}`).toBeDefined();
    const volume = podSpec.volumes.find((v: { name: string }) => v.name === mount.name);
    expect(volume.configMap.name).toBe(configMap.metadata.name);
    const item = volume.configMap.items.find((i: { path: string }) => i.path === path.posix.basename(configPath));
    expect(item, 'a ConfigMap item with the file name').toBeDefined();
    expect(configMap.data).toHaveProperty(item.key);
  });

  it('the collector tests start the collector with the same program and flag', () => {
    // The collector's end-to-end tests spawn `process.execPath` (node) on the harness's cliPath
    // with `--config FILE`; the image's ENTRYPOINT must name the same script.
    expect(path.relative(harnessRoot, harnessCliPath).split(path.sep).join('/')).toBe(entrypoint[1]);
    expect(entrypoint[0]).toBe('node');
    const users: string[] = [];
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(repoPath(dir), { withFileTypes: true })) {
        const rel = `${dir}/${e.name}`;
        if (e.isDirectory()) { if (e.name !== 'node_modules' && rel !== 'test/deploy') walk(rel); } else if (e.name.endsWith('.test.ts')) {
          const text = readText(rel);
          if (/RunningCollector\.start\(\s*\[\s*'--config'/.test(text)) users.push(rel);
        }
      }
    };
    ['collector', 'test'].forEach(walk);
    expect(users, 'a collector test that runs RunningCollector.start([\'--config\', ...])').not.toEqual([]);
  });

  it('the runtime stage runs as the non-root user the pod asks for, with production dependencies only', () => {
    const user = last(docker.filter((i) => i.keyword === 'USER'))!.args;
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBe(podSpec.securityContext.runAsUser);
    const froms = docker.filter((i) => i.keyword === 'FROM');
    expect(froms.length).toBeGreaterThanOrEqual(3);
    const prodInstall = docker.find((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args));
    expect(prodInstall).toBeDefined();
    const finalStage = docker.slice(docker.lastIndexOf(froms[froms.length - 1]!));
    const nodeModules = finalStage.filter((i) => i.keyword === 'COPY' && /node_modules/.test(i.args));
    expect(nodeModules.map((i) => i.args)).toEqual(['--from=deps /app/node_modules ./node_modules']);
  });

  it('neither the image nor its build context contains the filter module', () => {
    const copies = docker.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => i.args);
    for (const c of copies) expect(c).not.toMatch(/\.wasm|(^|\s)build\//);
    const ignore = readText('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    expect(ignore.filter((l) => l.startsWith('!'))).not.toContain('!build');
  });
});

describe('WasmPlugin ↔ filter ↔ Telemetry ↔ collector', () => {
  it('pluginName is the root id the filter registers', () => {
    expect(filterRootIds()).toContain(PLUGIN_NAME);
    for (const w of wasmPlugins) expect(w.spec.pluginName).toBe(PLUGIN_NAME);
  });

  it('pluginConfig shows every filter option, with the filter\'s stamp-header defaults', () => {
    const keys = filterConfigKeys();
    const headers = filterDefaultHeaders();
    expect(Object.keys(FILTER_DEFAULTS).sort()).toEqual([...keys].sort());
    expect(FILTER_DEFAULTS.kind_header).toBe(headers.kind);
    expect(FILTER_DEFAULTS.direction_header).toBe(headers.direction);
    expect(FILTER_DEFAULTS.healed_header).toBe(headers.healed);
    expect(FILTER_DEFAULTS.healed_trace_header).toBe(headers.healedTrace);
    for (const w of wasmPlugins) expect(Object.keys(w.spec.pluginConfig).sort()).toEqual([...keys].sort());
  });

  it('the Telemetry custom tags read the filter\'s stamp headers into the tags the istio and reparent processors apply', () => {
    for (const t of [...telemetries, waypointTelemetry]) {
      const tags = t.spec.tracing[0].customTags;
      expect(tags).toEqual({
        [ATTR.meshtraceKind]: { header: { name: wasmNamespace.spec.pluginConfig.kind_header } },
        [ATTR.meshtraceDirection]: { header: { name: wasmNamespace.spec.pluginConfig.direction_header } },
        [HEALED_ATTRIBUTE]: { header: { name: HEALED_HEADER } },
        [HEALED_TRACE_ATTRIBUTE]: { header: { name: HEALED_TRACE_HEADER } },
      });
    }
  });

  it('the waypoint\'s WasmPlugin and Telemetry target the same Gateway, in its namespace', () => {
    const ref = { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' };
    expect(wasmWaypoint.spec.targetRefs).toEqual([ref]);
    expect(waypointTelemetry.spec.targetRefs).toEqual([ref]);
    expect(wasmWaypoint.metadata.namespace).toBe(waypointTelemetry.metadata.namespace);
    expect(wasmWaypoint.spec.selector).toBeUndefined();
    expect(wasmWaypoint.spec.pluginConfig.gateway).toBe(false);
    expect(wasmWaypoint.spec.pluginConfig.heal).toBe(false); // every waypoint request is inbound: nothing to look up
  });

  it('fail open, AUTHN phase, HTTP; gateway: true only on the gateway plugin, which selects the gateway', () => {
    for (const w of wasmPlugins) expect(w.spec).toMatchObject({ failStrategy: 'FAIL_OPEN', phase: 'AUTHN', type: 'HTTP' });
    expect(wasmNamespace.spec.pluginConfig.gateway).toBe(false);
    expect(wasmHttps.spec.pluginConfig.gateway).toBe(false);
    expect(wasmGateway.spec.pluginConfig.gateway).toBe(true);
    expect(wasmGateway.spec.selector.matchLabels).toEqual({ istio: 'ingressgateway' });
    expect(wasmGateway.metadata.namespace).toBe('istio-system');
  });

  it('the committed WasmPlugins are what `npm run wasmplugin` prints for the same options (url and sha256 aside)', () => {
    const strip = (o: K8sObject): K8sObject => { const c = structuredClone(o); delete c.spec.url; delete c.spec.sha256; return c; };
    expect(strip(wasmNamespace)).toEqual(strip(buildWasmPlugin({ url: wasmNamespace.spec.url, gateway: false }) as K8sObject));
    expect(strip(wasmGateway)).toEqual(strip(buildWasmPlugin({ url: wasmGateway.spec.url, gateway: true }) as K8sObject));
    expect(strip(wasmHttps)).toEqual(strip(buildWasmPlugin({ url: wasmHttps.spec.url, sha256: wasmHttps.spec.sha256, gateway: false }) as K8sObject));
    expect(strip(wasmWaypoint)).toEqual(strip(buildWasmPlugin({ url: wasmWaypoint.spec.url, gateway: false, waypoint: 'waypoint', namespace: 'bookinfo' }) as K8sObject));
  });

  it('both ways to ship the module: an oci:// image and an https:// URL with a sha256', () => {
    expect(wasmNamespace.spec.url).toMatch(/^oci:\/\//);
    expect(wasmGateway.spec.url).toMatch(/^oci:\/\//);
    expect(wasmWaypoint.spec.url).toMatch(/^oci:\/\//);
    expect(wasmHttps.spec.url).toMatch(/^https:\/\//);
    expect(wasmHttps.spec.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
