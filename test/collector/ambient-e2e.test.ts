/**
 * Istio ambient end to end, through the built collector (`node dist/collector/cli.js`): Kiali's
 * Bookinfo ambient trace (test/fixtures/ambient) is POSTed over 127.0.0.1 in every shape the two
 * Istio tracing providers send, Zipkin v2 JSON to a `zipkin` receiver and OTLP/JSON to an `otlp`
 * receiver, one receiver and one `file` exporter per shape, all through the default `istio`
 * processor. Every shape must come out the same, with the waypoint spans under their destination
 * services. Build first: npx tsc -p tsconfig.json.
 */
import { describe, expect, it } from 'vitest';
import { AMBIENT_EXPECTED, AMBIENT_SHAPES, summary } from '../fixtures/ambient/load.js';
import { collectorStarter, readFileExport, RunningCollector, tempDir, writeConfig } from './harness.js';

const startCollector = collectorStarter();

describe('ambient waypoint spans end to end (built collector, every provider shape)', () => {
  it('all shapes come out the same, under the destination services', async () => {
    const dir = tempDir();
    const shapes = AMBIENT_SHAPES.map((s, i) => ({ ...s, receiver: `${s.provider}/s${i}`, out: `${dir}/s${i}.jsonl` }));
    const receivers = shapes
      .map((s) => (s.provider === 'zipkin' ? `  ${s.receiver}: { endpoint: "127.0.0.1:0" }` : `  ${s.receiver}: { protocols: { http: { endpoint: "127.0.0.1:0" } } }`))
      .join('\n');
    const exporters = shapes.map((s, i) => `  file/s${i}: { path: ${s.out} }`).join('\n');
    const pipelines = shapes.map((s, i) => `    traces/s${i}: { receivers: [${s.receiver}], processors: [istio], exporters: [file/s${i}] }`).join('\n');
    const cfg = writeConfig(dir, `
receivers:
${receivers}
processors:
  istio: {}
exporters:
${exporters}
service:
  pipelines:
${pipelines}
  telemetry:
    metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }
`);
    const c = startCollector(['--config', cfg]);
    await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.');
    for (const s of shapes) {
      const listening = await c.waitForLog((l) =>
        (l.msg === 'Zipkin receiver listening' || l.msg === 'OTLP/HTTP receiver listening') && l.receiver === s.receiver);
      const port = RunningCollector.portOf(listening);
      const url = s.provider === 'zipkin' ? `http://127.0.0.1:${port}/api/v2/spans` : `http://127.0.0.1:${port}/v1/traces`;
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: s.text() });
      expect(res.status, `${s.label}: ${await res.clone().text()}`).toBe(s.provider === 'zipkin' ? 202 : 200);
    }
    c.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });

    const views = shapes.map((s) => ({ s, view: summary(readFileExport(s.out)) as Record<string, { service: string }> }));
    for (const { s, view } of views) {
      for (const [id, want] of Object.entries(AMBIENT_EXPECTED)) expect(view[id]?.service, `${s.label} ${id}`).toBe(want.service);
      // The same view as the same shape processed in this process: the collector's receivers and exporter change nothing of it.
      expect(Object.keys(view).length, s.label).toBe(s.peerTags ? 6 : 4);
    }
    const [first] = views.filter((v) => !v.s.peerTags);
    for (const v of views.filter((x) => !x.s.peerTags)) expect(v.view, v.s.label).toEqual(first!.view);
    const [firstTagged] = views.filter((v) => v.s.peerTags);
    for (const v of views.filter((x) => x.s.peerTags)) expect(v.view, v.s.label).toEqual(firstTagged!.view);
  });
});
