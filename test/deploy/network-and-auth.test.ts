/**
 * The deployment is locked down: NetworkPolicies let spans in only from the mesh, metrics only
 * from Prometheus, Redis only from the collector; Redis requires a password from a Secret, and the
 * collector's epoch_store URL carries the same Secret's password. The Redis wiring is run for
 * real: redis-server with the Deployment's own arguments, and the collector's epoch store with
 * the ConfigMap's URL, with and without the password.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../collector/config/load.js';
import { RedisEpochStore } from '../../collector/exporter/awsxrayexporter/traceid/redis-epoch-store.js';
import { startRedisTestServer, type RedisTestServer } from '../../scripts/redis-test-server.js';
import { findResource, loadResources, resourceInFile, type K8sObject } from './manifests.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const resources = loadResources();
const policies = resources.filter((r) => r.obj.kind === 'NetworkPolicy').map((r) => r.obj);
const collector = findResource(resources, 'Deployment', 'meshtrace-collector');
const redis = findResource(resources, 'Deployment', 'meshtrace-redis');
const service = findResource(resources, 'Service', 'meshtrace-collector');
const redisService = findResource(resources, 'Service', 'meshtrace-redis');
const configMap = findResource(resources, 'ConfigMap', 'meshtrace-collector');
const collectorContainer = collector.spec.template.spec.containers.find((c: Any) => c.name === 'collector');
const redisContainer = redis.spec.template.spec.containers.find((c: Any) => c.name === 'redis');

const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const policyFor = (labels: Record<string, string>): K8sObject[] =>
  policies.filter((p) => p.metadata.namespace === 'meshtrace' && selects(p.spec.podSelector.matchLabels ?? {}, labels));
const portNames = (rule: Any): string[] => rule.ports.map((p: Any) => p.port).sort();

describe('NetworkPolicies', () => {
  it('a default deny covers every pod of the namespace', () => {
    const deny = policies.find((p) => p.metadata.namespace === 'meshtrace' && Object.keys(p.spec.podSelector).length === 0);
    expect(deny?.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
  });

  it('spans: exactly the Service\'s ports, from mesh namespaces and the ingress gateway only', () => {
    const [policy] = policyFor(collector.spec.template.metadata.labels).filter((p) => p.spec.ingress);
    expect(policy).toBeDefined();
    const spans = policy!.spec.ingress.find((r: Any) => portNames(r).includes('grpc-otlp'));
    expect(portNames(spans)).toEqual(service.spec.ports.map((p: Any) => p.targetPort).sort());
    for (const peer of spans.from) {
      expect(peer.namespaceSelector, 'every peer names its namespaces (no bare podSelector, no ipBlock)').toBeDefined();
      expect(Object.keys(peer.namespaceSelector).length, 'no "all namespaces" selector').toBeGreaterThan(0);
    }
    const labels = spans.from.map((p: Any) => JSON.stringify(p.namespaceSelector));
    expect(labels.join(' ')).toContain('istio-injection');
    expect(labels.join(' ')).toContain('istio.io/rev');
    expect(labels.join(' ')).toContain('istio.io/dataplane-mode');
    const gateway = spans.from.find((p: Any) => p.podSelector);
    expect(gateway.podSelector.matchLabels).toEqual({ istio: 'ingressgateway' });
    expect(gateway.namespaceSelector.matchExpressions[0].values).toEqual(['istio-system', 'istio-ingress']);
  });

  it('metrics: only the metrics port, only for Prometheus; health is opened by no rule (the kubelet probes from the node)', () => {
    const [policy] = policyFor(collector.spec.template.metadata.labels).filter((p) => p.spec.ingress);
    const metrics = policy!.spec.ingress.find((r: Any) => portNames(r).includes('metrics'));
    expect(portNames(metrics)).toEqual(['metrics']);
    for (const peer of metrics.from) expect(peer.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'prometheus' });
    const opened = policy!.spec.ingress.flatMap(portNames);
    expect(opened).not.toContain('health');
    // Every named port exists on the container.
    const containerPorts = collectorContainer.ports.map((p: Any) => p.name);
    for (const name of opened) expect(containerPorts).toContain(name);
    expect(collectorContainer.readinessProbe.httpGet.port).toBe('health');
  });

  it('Redis: only from the collector pods of its own namespace, only on its port', () => {
    const [policy] = policyFor(redis.spec.template.metadata.labels).filter((p) => p.spec.ingress);
    expect(policy!.spec.ingress).toHaveLength(1);
    const [rule] = policy!.spec.ingress;
    expect(rule.from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'meshtrace-collector' } } }]);
    expect(selects(rule.from[0].podSelector.matchLabels, collector.spec.template.metadata.labels)).toBe(true);
    expect(portNames(rule)).toEqual([redisService.spec.ports[0].targetPort]);
  });
});

describe('Redis AUTH from a Secret', () => {
  const secret = resourceInFile('manifests/redis/secret.example.yaml') as K8sObject & { stringData: Record<string, string> };
  const ref = { name: secret.metadata.name, key: Object.keys(secret.stringData)[0] };

  it('Redis requires the Secret\'s password, and its probe authenticates with it', () => {
    const env = redisContainer.env.find((e: Any) => e.name === 'REDISCLI_AUTH');
    expect(env.valueFrom.secretKeyRef).toEqual(ref);
    const args: string[] = redisContainer.args;
    expect(args[args.indexOf('--requirepass') + 1]).toBe('$(REDISCLI_AUTH)');
    expect(redisContainer.readinessProbe.exec.command).toEqual(['sh', '-c', 'redis-cli ping | grep -q PONG']);
  });

  it('the collector gets the same Secret key (optional, so it starts without Redis) and the epoch_store URL uses it', () => {
    const env = collectorContainer.env.find((e: Any) => e.name === 'REDIS_PASSWORD');
    expect(env.valueFrom.secretKeyRef).toEqual({ ...ref, optional: true });
    expect(configMap.data!['collector.yaml']).toMatch(/#\s*epoch_store: redis:\/\/:\$\{env:REDIS_PASSWORD\}@meshtrace-redis\.meshtrace\.svc\.cluster\.local:6379/);
  });

  describe('run for real', () => {
    const password = 'f00d'.repeat(16); // what `openssl rand -hex 32` gives
    let server: RedisTestServer | undefined;
    const stores: RedisEpochStore[] = [];
    beforeAll(async () => {
      const expand = (a: string): string => a.replace('$(REDISCLI_AUTH)', password);
      // The Deployment's arguments (minus the program name), after the test server's port/dir flags.
      server = await startRedisTestServer({ password, extraArgs: (redisContainer.args as string[]).slice(1).map(expand) });
    });
    afterAll(async () => {
      for (const s of stores) await s.close();
      await server?.stop();
    });

    it('redis-server with the Deployment\'s args requires the password; the ConfigMap\'s epoch_store URL works, without it nothing does', async () => {
      if (!server) throw new Error('redis-server did not start');
      const line = /#\s*epoch_store:\s*(redis:\/\/\S+)/.exec(configMap.data!['collector.yaml']!)![1]!;
      // The awsxray route (accounts without Transaction Search) with its Redis epoch store on.
      const enabled = configMap.data!['collector.yaml']!
        .replace(/#\s*(epoch_store:\s*redis:\/\/\S+)/, '$1')
        .replace('exporters: [otlphttp/xray, otlphttp]', 'exporters: [awsxray, otlphttp]');
      const cfg = parseConfigText(enabled, { AWS_REGION: 'us-east-1', OTLP_AUTH_TOKEN: 't', REDIS_PASSWORD: password });
      const url = (cfg.exporters.get('awsxray')!.config as { epochStore: string }).epochStore
        .replace('meshtrace-redis.meshtrace.svc.cluster.local:6379', `127.0.0.1:${server.port}`);
      expect(line).toContain('${env:REDIS_PASSWORD}');

      const good = new RedisEpochStore({ url, ttlSec: 60, timeoutMs: 500 });
      stores.push(good);
      await good.waitReady(3000);
      expect(await good.claim([['ab'.repeat(16), 42]])).toEqual([42]);

      const errors: Error[] = [];
      const anonymous = new RedisEpochStore({ url: server.bareUrl, ttlSec: 60, timeoutMs: 500, onError: (e) => errors.push(e) });
      stores.push(anonymous);
      for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors[0]?.name).toBe('RedisAuthError');
      await expect(anonymous.claim([['ab'.repeat(16), 7]])).rejects.toThrow();
    });

    it('the readiness probe passes only with the right password (redis-cli alone exits 0 on NOAUTH)', () => {
      // The probe's own pipeline, pointed at the test server's port (in the pod: the default 6379).
      const script = (redisContainer.readinessProbe.exec.command as string[])[2]!.replace('redis-cli', `redis-cli -p ${server!.port}`);
      const probe = (auth?: string): number =>
        spawnSync('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...(auth === undefined ? {} : { REDISCLI_AUTH: auth }) }, timeout: 10_000 }).status ?? -1;
      expect(probe(password)).toBe(0);
      expect(probe('wrong')).not.toBe(0);
      expect(probe()).not.toBe(0);
      // What the probe guards against: plain `redis-cli ping` succeeds without the password.
      expect(spawnSync('redis-cli', ['-p', String(server!.port), 'ping'], { env: { PATH: process.env.PATH ?? '' } }).status).toBe(0);
    });
  });
});
