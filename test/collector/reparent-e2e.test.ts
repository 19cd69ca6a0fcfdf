/**
 * The reparent processor end to end, through the built collector (`node dist/collector/cli.js`)
 * with the shipped processor order (istio, reparent, batch): the productpage sidecar's healed
 * CLIENT spans are POSTed over 127.0.0.1 as Envoy's Zipkin tracer sends them, before their SERVER
 * span (the usual order: Envoy finishes the outbound calls first); the `file` exporter's output
 * has them under the SERVER span. A second healed span whose SERVER span never comes is written
 * unchanged at shutdown. Build first: npx tsc -p tsconfig.json.
 */
import { describe, expect, it } from 'vitest';
import { idToHex, type Span } from '../../collector/pdata/model.js';
import { GATEWAY_SPAN, ID, SPANS } from '../fixtures/healed/request.js';
import { collectorStarter, readFileExport, RunningCollector, tempDir, writeConfig } from './harness.js';

const startCollector = collectorStarter();

describe('reparent end to end (built collector)', () => {
  it('healed spans posted before their SERVER span come out under it; an unmatched one is written unchanged at shutdown', async () => {
    const dir = tempDir();
    const out = `${dir}/out.jsonl`;
    const cfg = writeConfig(dir, `
receivers:
  zipkin: { endpoint: "127.0.0.1:0" }
processors:
  istio: {}
  reparent: {}
  batch: { timeout: 50ms }
exporters:
  file: { path: ${out} }
service:
  pipelines:
    traces: { receivers: [zipkin], processors: [istio, reparent, batch], exporters: [file] }
  telemetry:
    metrics: { readers: [ { pull: { exporter: { prometheus: { host: 127.0.0.1, port: 0 } } } } ] }
`);
    const c = startCollector(['--config', cfg]);
    await c.waitForLog((l) => l.msg === 'Everything is ready. Begin running and processing data.');
    const port = RunningCollector.portOf(await c.waitForLog((l) => l.msg === 'Zipkin receiver listening'));
    const post = async (spans: unknown[]): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v2/spans`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spans) });
      expect(res.status, await res.clone().text()).toBe(202);
    };
    // Another request's healed span (another trace, another request ID) whose SERVER span never arrives.
    const orphan = { ...structuredClone(SPANS.toReviews), traceId: '0123456789abcdef0123456789abcdef', id: '7a7a7a7a7a7a7a7a' };
    orphan.tags['guid:x-request-id'] = '0f0f0f0f-1111-4222-8333-444455556666';
    await post([SPANS.toDetails, SPANS.toReviews, orphan]);
    await post([SPANS.otherRequest, SPANS.server, SPANS.otherPod]);
    c.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });

    const spans = new Map<string, Span>();
    for (const rs of readFileExport(out).resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.set(idToHex(s.spanId), s);
    expect(spans.size).toBe(6);
    expect(idToHex(spans.get(ID.toDetails)!.parentSpanId)).toBe(ID.server);
    expect(idToHex(spans.get(ID.toReviews)!.parentSpanId)).toBe(ID.server);
    for (const id of [ID.server, ID.otherPod, ID.otherRequest, '7a7a7a7a7a7a7a7a']) expect(idToHex(spans.get(id)!.parentSpanId), id).toBe(GATEWAY_SPAN);
  });
});
