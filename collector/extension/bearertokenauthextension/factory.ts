/**
 * `bearertokenauth` (otelcol-contrib's name): a static or file-backed token in a header, for
 * `otlphttp` (HTTP header) and `otlp` (gRPC metadata, TLS channels only).
 */
import type { Factory } from '../../component/component.js';
import { parseBearerTokenAuthConfig, type BearerTokenAuthConfig } from './config.js';
import { BearerTokenAuthExtension } from './extension.js';

export const bearerTokenAuthExtensionFactory: Factory<BearerTokenAuthConfig, BearerTokenAuthExtension> = {
  kind: 'extension',
  type: 'bearertokenauth',
  capabilities: ['client_auth', 'grpc_client_auth'],
  parseConfig: parseBearerTokenAuthConfig,
  create(cfg, settings) {
    return new BearerTokenAuthExtension(cfg, settings);
  },
};
