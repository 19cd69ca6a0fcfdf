/**
 * Runs what the pod runs: the image's ENTRYPOINT + CMD (`node dist/collector/cli.js --config
 * FILE`) on the ConfigMap's collector config, with the Deployment's environment, then probes it
 * the way the kubelet does (the readiness probe's path on the health_check endpoint) and stops
 * it the way Kubernetes does (SIGTERM; it must exit 0 well within the grace period).
 *
 * Only local addresses: every `0.0.0.0:PORT` endpoint (and the prometheus reader's host/port)
 * becomes 127.0.0.1 port 0 (the collector logs the port it bound); AWS credentials are static
 * fakes and instance metadata is disabled, and no span is sent, so neither exporter contacts
 * anything.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execForm, findResource, loadResources, parseDockerfile, readText } from './manifests.js';
import { localOnly, OFFLINE_AWS_ENV, startPodCollector, type RunningPodCollector } from './start-collector.js';

const resources = loadResources();
const deployment = findResource(resources, 'Deployment', 'meshtrace-collector');
const configMap = findResource(resources, 'ConfigMap', 'meshtrace-collector');
const container = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'collector');
const docker = parseDockerfile(readText('Dockerfile'));
const argv = [
  ...execForm(docker.filter((i) => i.keyword === 'ENTRYPOINT').pop()!.args),
  ...container.args as string[],
];

describe('the pod\'s command on the ConfigMap config', () => {
  let running: RunningPodCollector | undefined;
  afterAll(() => running?.dispose());

  it('starts, answers the readiness probe with 200, and exits 0 on SIGTERM within the grace period', async () => {
    expect(argv.slice(0, 2)).toEqual(['node', 'dist/collector/cli.js']);
    const env: Record<string, string> = { ...OFFLINE_AWS_ENV };
    for (const e of container.env) env[e.name] = e.value ?? 'secret-value';
    const local = localOnly(configMap.data!['collector.yaml'] as string);
    expect(local).not.toMatch(/0\.0\.0\.0/);
    // The pod's emptyDir volumes (the persistent queue's directory) become fresh directories.
    const volumes = deployment.spec.template.spec.volumes as Array<{ name: string; emptyDir?: unknown }>;
    const emptyDirs = (container.volumeMounts as Array<{ name: string; mountPath: string }>)
      .filter((m) => volumes.find((v) => v.name === m.name)?.emptyDir)
      .map((m) => m.mountPath);
    expect(emptyDirs.length, 'the persistent queue volume').toBeGreaterThan(0);
    running = await startPodCollector(argv, local, env, emptyDirs);
    expect(await running.probe(container.readinessProbe.httpGet.path)).toBe(200);

    const graceMs = deployment.spec.template.spec.terminationGracePeriodSeconds * 1000;
    const started = Date.now();
    expect(await running.stop(graceMs), running.stderr()).toBe(0);
    expect(Date.now() - started).toBeLessThan(graceMs);
  }, 90_000);
});
