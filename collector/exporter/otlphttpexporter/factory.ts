/**
 * The `otlphttp` exporter (alias `otlp_http`): OTLP/HTTP protobuf to any OTLP backend, behind
 * the shared sending queue and retry loop (exporterhelper).
 */
import type { Factory, TracesExporter } from '../../component/component.js';
import { createQueuedEncodedTracesExporter } from '../exporterhelper/queued-exporter.js';
import { queueExtensionRefs } from '../exporterhelper/config.js';
import { parseOtlpHttpExporterConfig, type OtlpHttpExporterConfig } from './config.js';
import { OtlpHttpSender } from './http-sender.js';

export const otlpHttpExporterFactory: Factory<OtlpHttpExporterConfig, TracesExporter> = {
  kind: 'exporter',
  type: 'otlphttp',
  aliases: ['otlp_http'],
  parseConfig: parseOtlpHttpExporterConfig,
  extensionRefs: (cfg, path) => queueExtensionRefs(cfg.queue, path),
  create(cfg, settings) {
    const sender = new OtlpHttpSender(cfg);
    return createQueuedEncodedTracesExporter(settings, cfg.queue, cfg.retry, sender.encode, sender.send, {
      timeoutMs: cfg.timeoutMs,
      onShutdown: () => sender.close(),
    });
  },
};
