/**
 * The `otlp` exporter (alias `otlp_grpc`): OTLP/gRPC to any OTLP backend, behind the shared
 * sending queue and retry loop (exporterhelper).
 */
import type { Factory, TracesExporter } from '../../component/component.js';
import { authRef } from '../../extension/extensionauth/client.js';
import { createQueuedEncodedTracesExporter } from '../exporterhelper/queued-exporter.js';
import { queueExtensionRefs } from '../exporterhelper/config.js';
import { parseOtlpExporterConfig, type OtlpExporterConfig } from './config.js';
import { OtlpGrpcSender } from './grpc-sender.js';

export const otlpExporterFactory: Factory<OtlpExporterConfig, TracesExporter> = {
  kind: 'exporter',
  type: 'otlp',
  aliases: ['otlp_grpc'],
  parseConfig: parseOtlpExporterConfig,
  // gRPC needs per-call metadata (otelcol's GRPCClient): an HTTP-only signer (sigv4auth) is refused here.
  extensionRefs: (cfg, path) => [...authRef(cfg.authenticator, path, 'grpc_client_auth'), ...queueExtensionRefs(cfg.queue, path)],
  create(cfg, settings) {
    const sender = new OtlpGrpcSender(cfg);
    return createQueuedEncodedTracesExporter(settings, cfg.queue, cfg.retry, sender.encode, sender.send, {
      timeoutMs: cfg.timeoutMs,
      onStart: (host) => sender.start(host, `exporters.${settings.id}.auth.authenticator`),
      onShutdown: () => sender.close(),
    });
  },
};
