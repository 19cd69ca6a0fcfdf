/**
 * The `otlphttp` exporter (alias `otlp_http`): OTLP/HTTP protobuf to any OTLP backend — X-Ray's
 * OTLP endpoint included (with sigv4auth) — behind the shared sending queue and retry loop
 * (exporterhelper). Each batch is prepared once at enqueue: encoded, and for X-Ray split to its
 * limits (http-sender.ts), so the queue holds only the bytes.
 */
import type { Factory, TracesExporter } from '../../component/component.js';
import { authRef } from '../../extension/extensionauth/client.js';
import { createQueuedPreparedTracesExporter } from '../exporterhelper/queued-exporter.js';
import { queueExtensionRefs } from '../exporterhelper/config.js';
import { parseOtlpHttpExporterConfig, type OtlpHttpExporterConfig } from './config.js';
import { OtlpHttpSender } from './http-sender.js';
import { otlpHttpPayloadCodec } from './payload-codec.js';

export const otlpHttpExporterFactory: Factory<OtlpHttpExporterConfig, TracesExporter> = {
  kind: 'exporter',
  type: 'otlphttp',
  aliases: ['otlp_http'],
  parseConfig: parseOtlpHttpExporterConfig,
  extensionRefs: (cfg, path) => [...authRef(cfg.authenticator, path, 'client_auth'), ...queueExtensionRefs(cfg.queue, path)],
  create(cfg, settings) {
    const sender = new OtlpHttpSender(cfg, settings);
    return createQueuedPreparedTracesExporter(settings, cfg.queue, cfg.retry, sender.prepare, sender.send, {
      // `timeout` applies per request in the sender: a split batch is several requests.
      timeoutMs: 0,
      onStart: (host) => sender.start(host),
      onShutdown: () => sender.close(),
      codec: otlpHttpPayloadCodec,
    });
  },
};
