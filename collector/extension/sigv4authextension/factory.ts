/**
 * `sigv4auth` (otelcol-contrib's name): an HTTP client authenticator (`client_auth`) signing with
 * AWS Signature V4, for `otlphttp` to X-Ray's OTLP endpoint and other AWS HTTP APIs.
 */
import type { Factory } from '../../component/component.js';
import { parseSigv4AuthConfig, type Sigv4AuthConfig } from './config.js';
import { Sigv4AuthExtension } from './extension.js';

export const sigv4AuthExtensionFactory: Factory<Sigv4AuthConfig, Sigv4AuthExtension> = {
  kind: 'extension',
  type: 'sigv4auth',
  capabilities: ['client_auth'],
  parseConfig: parseSigv4AuthConfig,
  create(cfg, settings) {
    return new Sigv4AuthExtension(cfg, settings);
  },
};
