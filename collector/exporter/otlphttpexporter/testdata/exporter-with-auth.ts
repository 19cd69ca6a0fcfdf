/**
 * Test setup shared by the authenticator tests: an authenticator extension and an `otlphttp` or
 * `otlp` exporter built from raw config through their factories (as the service does), started on
 * a Host that resolves the extension, with their own metrics.
 */
import { Writable } from 'node:stream';
import type { Extension, Factory, Host, TracesExporter } from '../../../component/component.js';
import { ConfigIssues } from '../../../config/issues.js';
import { createLogger, nullLogger, type Logger } from '../../../telemetry/logger.js';
import { CollectorMetrics } from '../../../telemetry/metrics.js';

export interface Started {
  exporter: TracesExporter;
  extension: Extension;
  metrics: CollectorMetrics;
  /** Shuts the exporter down (waiting up to `deadlineMs` for its queue), then the extension. */
  stop(deadlineMs?: number): Promise<void>;
  /** meshtrace_spans_dropped_total by reason. */
  dropped(): Promise<Record<string, number>>;
  /** otelcol_exporter_sent_spans_total. */
  sent(): Promise<number>;
}

export function parseWith<C>(factory: Factory<C, never> | Factory<C, TracesExporter> | Factory<C, Extension>, raw: unknown, path: string): C {
  const issues = new ConfigIssues();
  const cfg = (factory as Factory<C>).parseConfig(raw, path, issues);
  if (!issues.ok) throw new Error(issues.format());
  return cfg;
}

/** Creates the extension `extId` and the exporter `expId` referring to it, starts both (extension first). */
export async function startWithAuth(opts: {
  extensionFactory: Factory<unknown, Extension>;
  extensionConfig: unknown;
  extId?: string;
  exporterFactory: Factory<unknown, TracesExporter>;
  exporterConfig: Record<string, unknown>;
  expId?: string;
  logger?: Logger;
}): Promise<Started> {
  const metrics = new CollectorMetrics();
  const logger = opts.logger ?? nullLogger();
  const extId = opts.extId ?? opts.extensionFactory.type;
  const expId = opts.expId ?? opts.exporterFactory.type;
  const extension = opts.extensionFactory.create(parseWith(opts.extensionFactory, opts.extensionConfig, `extensions.${extId}`), { id: extId, logger, metrics });
  const expCfg = parseWith(opts.exporterFactory, { ...opts.exporterConfig, auth: { authenticator: extId } }, `exporters.${expId}`);
  const exporter = opts.exporterFactory.create(expCfg, { id: expId, logger, metrics });
  const host: Host = {
    health: { state: 'ready' },
    backpressure: { isRefusing: () => false, retryAfterSeconds: () => 1 },
    getExtension: (id) => (id === extId ? extension : undefined),
  };
  await extension.start(host);
  try {
    await exporter.start(host);
  } catch (e) {
    await extension.shutdown(AbortSignal.timeout(1000));
    throw e;
  }
  const byLabel = async (m: { get(): Promise<{ values: { value: number; labels: Record<string, string | number> }[] }> }, label: string) => {
    const out: Record<string, number> = {};
    for (const v of (await m.get()).values) out[String(v.labels[label])] = (out[String(v.labels[label])] ?? 0) + v.value;
    return out;
  };
  return {
    exporter,
    extension,
    metrics,
    async stop(deadlineMs = 5000) {
      await exporter.shutdown(AbortSignal.timeout(deadlineMs));
      await extension.shutdown(AbortSignal.timeout(1000));
    },
    dropped: () => byLabel(metrics.spansDropped, 'reason'),
    sent: async () => Object.values(await byLabel(metrics.exporterSent, 'exporter')).reduce((a, b) => a + b, 0),
  };
}

/** Resolves when `cond` holds, polling; rejects with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A logger whose JSON lines land in `lines` (to check what is logged). */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}
