/**
 * Helpers for exporter tests: settings with a real CollectorMetrics and a silent logger, metric
 * readers, and TraceData with distinct span IDs (so deliveries can be checked for duplicates).
 */
import type { CreateSettings, Factory, Host, TracesExporter } from '../../component/component.js';
import { ConfigIssues } from '../../config/issues.js';
import { expandEnv } from '../../config/envsubst.js';
import type { TraceData } from '../../pdata/model.js';
import { nullLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';

export function testSettings(id = 'test'): CreateSettings & { metrics: CollectorMetrics } {
  return { id, logger: nullLogger(), metrics: new CollectorMetrics() };
}

/** A Host that is ready and never refusing. */
export const readyHost: Host = { health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 1 }, getExtension: () => undefined };

/**
 * An exporter built the way the service builds it: `${env:...}` expanded in `raw` with `env`,
 * parsed by the factory at `exporters.<id>` (throws listing the problems if any), created with
 * test settings. Returns the exporter and its metrics.
 */
export function createTestExporter<E extends TracesExporter>(
  factory: Factory<unknown, E>,
  id: string,
  raw: Record<string, unknown>,
  env: Record<string, string> = {},
): { exp: E; m: CollectorMetrics } {
  const issues = new ConfigIssues();
  const path = `exporters.${id}`;
  const cfg = factory.parseConfig(expandEnv(raw, path, env, issues), path, issues);
  if (!issues.ok) throw new Error(`invalid test config:\n${issues.format()}`);
  const settings = testSettings(id);
  return { exp: factory.create(cfg, settings), m: settings.metrics };
}

type Counter = { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number }> }> };

/** Sum of a counter's values whose labels include `match`. */
export async function metricSum(counter: unknown, match: Record<string, string> = {}): Promise<number> {
  const { values } = await (counter as Counter).get();
  let sum = 0;
  for (const v of values) {
    if (Object.entries(match).every(([k, want]) => String(v.labels[k]) === want)) sum += v.value;
  }
  return sum;
}

let nextSpan = 1;

/** `n` spans in one resource/scope, each with a fresh 8-byte span ID (a running counter). */
export function makeTraces(n: number, opts: { attrs?: number; service?: string } = {}): TraceData {
  const spans = [];
  for (let i = 0; i < n; i++) {
    const id = nextSpan++;
    const spanId = new Uint8Array(8);
    new DataView(spanId.buffer).setUint32(4, id);
    const traceId = new Uint8Array(16);
    new DataView(traceId.buffer).setUint32(12, id);
    traceId[0] = 0x5f;
    const attributes = [];
    for (let a = 0; a < (opts.attrs ?? 3); a++) attributes.push({ key: `attr.${a}`, value: { stringValue: `value-${a}-${id}` } });
    spans.push({
      traceId,
      spanId,
      parentSpanId: new Uint8Array(0),
      name: `span-${id}`,
      kind: 2,
      startTimeUnixNano: 1_700_000_000_000_000_000 + id,
      endTimeUnixNano: 1_700_000_000_100_000_000 + id,
      attributes,
    });
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: opts.service ?? 'svc' } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
}

/** Hex span IDs of every span in `td`, in order. */
export function spanIds(td: TraceData): string[] {
  const out: string[] = [];
  for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) out.push(Buffer.from(s.spanId).toString('hex'));
  return out;
}

export function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}
