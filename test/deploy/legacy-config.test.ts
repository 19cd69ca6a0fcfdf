/**
 * A config written for the OpenTelemetry Collector releases the usual Istio guides deploy (0.5x-
 * 0.9x: health_check `port`, memory_ballast, memory_limiter `ballast_size_mib`, the logging
 * exporter with `loglevel`, `service.telemetry.metrics.address`) runs unchanged in the image's
 * command: it starts, serves health on the deprecated `port`, and logs one deprecation warning per
 * key. Only the listening ports are changed (to free local ones), nothing else.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { execForm, parseDockerfile, readText, repoPath } from './manifests.js';
import { freePort, startPodCollector, type RunningPodCollector } from './start-collector.js';

const docker = parseDockerfile(readText('Dockerfile'));
const argv = [...execForm(docker.filter((i) => i.keyword === 'ENTRYPOINT').pop()!.args), ...execForm(docker.filter((i) => i.keyword === 'CMD').pop()!.args)];
const LEGACY = 'collector/config/testdata/otelcol-0.5x.yaml';

describe('a 0.5x-0.9x era collector config', () => {
  let running: RunningPodCollector | undefined;
  afterAll(() => running?.dispose());

  it('runs unchanged in the pod\'s command, health on the deprecated port, one warning per deprecated key', async () => {
    const healthPort = await freePort();
    const doc = parseDocument(fs.readFileSync(repoPath(LEGACY), 'utf8'));
    expect(doc.getIn(['extensions', 'health_check', 'port'])).toBe(13133);
    doc.setIn(['extensions', 'health_check', 'port'], healthPort);
    doc.setIn(['receivers', 'otlp', 'protocols', 'grpc'], doc.createNode({ endpoint: '127.0.0.1:0' }));
    doc.setIn(['receivers', 'otlp', 'protocols', 'http'], doc.createNode({ endpoint: '127.0.0.1:0' }));
    doc.setIn(['receivers', 'zipkin'], doc.createNode({ endpoint: '127.0.0.1:0' }));
    doc.setIn(['service', 'telemetry', 'metrics', 'address'], '127.0.0.1:0');

    running = await startPodCollector(argv, doc.toString(), {});
    expect(running.healthEndpoint).toMatch(new RegExp(`:${healthPort}$`));
    expect(await running.probe('/')).toBe(200);
    const warned = running.logs.filter((l) => l.level === 40 || l.level === 'warn').map((l) => JSON.stringify(l));
    for (const key of ['extensions.health_check.port', 'extensions.memory_ballast', 'processors.memory_limiter.ballast_size_mib',
      'exporters.logging', 'service.telemetry.metrics.address']) {
      expect(warned.some((w) => w.includes(key)), `${key} in ${warned.join('\n')}`).toBe(true);
    }
    expect(await running.stop(30_000), running.stderr()).toBe(0);
  }, 90_000);
});
