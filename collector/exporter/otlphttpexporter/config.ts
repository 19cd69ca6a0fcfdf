/**
 * `otlphttp` exporter config (OTLP/HTTP protobuf), with the Collector's keys and defaults:
 *
 *   exporters:
 *     otlphttp:
 *       endpoint: https://otlp.example.com        # base URL; /v1/traces is appended
 *       traces_endpoint: https://host/custom/path # full URL; wins over endpoint
 *       headers: { Authentication: "${env:OTLP_TOKEN}" }
 *       auth: { authenticator: sigv4auth }        # a client_auth extension (sigv4auth, bearertokenauth)
 *       compression: gzip                         # gzip (default) | none
 *       compression_params: { level: 6 }          # gzip level 1 (fastest) .. 9
 *       tls: { ca_file: ..., cert_file: ..., key_file: ..., insecure_skip_verify: false, server_name_override: ... }
 *       timeout: 5s
 *       sending_queue: { ... }                    # exporterhelper/config.ts
 *       retry_on_failure: { ... }
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readEnum, readInt, readObject, readUrl } from '../../config/validate.js';
import { readQueueConfig, readRetryConfig, readTimeout, type QueueConfig, type RetryConfig } from '../exporterhelper/config.js';
import { readCompression, readHeaders, type Compression } from '../otlpexporter/config.js';
import { readTlsClientConfig, type TlsClientConfig } from '../otlpexporter/tls.js';
import { readAuthConfig } from '../../extension/extensionauth/client.js';

export interface OtlpHttpExporterConfig {
  /** Full URL the requests go to. */
  url: string;
  headers: Record<string, string>;
  /** `auth.authenticator`: the ID of the extension that authenticates each request. */
  authenticator?: string;
  compression: Compression;
  /** gzip level 1 (fastest) .. 9 (smallest); default 6, zlib's and Go's default. */
  compressionLevel: number;
  tls: TlsClientConfig;
  timeoutMs: number;
  queue: QueueConfig;
  retry: RetryConfig;
}

const KEYS = [
  'endpoint', 'traces_endpoint', 'metrics_endpoint', 'logs_endpoint', 'headers', 'compression', 'compression_params', 'tls', 'timeout',
  'sending_queue', 'retry_on_failure', 'encoding', 'auth', 'proxy_url', 'read_buffer_size', 'write_buffer_size',
  'max_idle_conns', 'max_idle_conns_per_host', 'max_conns_per_host', 'idle_conn_timeout', 'disable_keep_alives',
] as const;

/** otelcol's rule: `endpoint` + `/v1/traces`, without doubling a trailing slash. */
export function tracesUrlFromEndpoint(endpoint: string): string {
  return endpoint.endsWith('/') ? `${endpoint}v1/traces` : `${endpoint}/v1/traces`;
}

export function parseOtlpHttpExporterConfig(raw: unknown, path: string, issues: ConfigIssues): OtlpHttpExporterConfig {
  const o = readObject(raw, path, issues, KEYS);
  const endpoint = readUrl(o.endpoint, join(path, 'endpoint'), issues, undefined);
  const tracesEndpoint = readUrl(o.traces_endpoint, join(path, 'traces_endpoint'), issues, undefined);
  let url = tracesEndpoint ?? (endpoint !== undefined ? tracesUrlFromEndpoint(endpoint) : '');
  if (url === '' && (o.endpoint ?? o.traces_endpoint) === undefined) {
    issues.error(join(path, 'endpoint'), 'required: the base URL of the OTLP/HTTP destination (or traces_endpoint)');
  }
  if (url !== '') url = new URL(url).toString();
  readEnum(o.encoding, join(path, 'encoding'), issues, ['proto'] as const, 'proto');
  for (const k of ['proxy_url', 'read_buffer_size', 'write_buffer_size', 'max_idle_conns', 'max_idle_conns_per_host', 'max_conns_per_host', 'idle_conn_timeout', 'disable_keep_alives', 'metrics_endpoint', 'logs_endpoint'] as const) {
    if (o[k] !== undefined) issues.warn(join(path, k), 'not supported and ignored');
  }
  const tls = readTlsClientConfig(o.tls, join(path, 'tls'), issues);
  if (tls.insecure) issues.warn(join(path, 'tls.insecure'), 'has no effect for otlphttp: the URL scheme (http:// or https://) decides');
  return {
    url,
    headers: readHeaders(o.headers, join(path, 'headers'), issues),
    authenticator: readAuthConfig(o.auth, join(path, 'auth'), issues),
    compression: readCompression(o.compression, join(path, 'compression'), issues),
    compressionLevel: readInt(
      readObject(o.compression_params, join(path, 'compression_params'), issues, ['level']).level,
      join(path, 'compression_params.level'),
      issues,
      6,
      { min: 1, max: 9 },
    ),
    tls,
    timeoutMs: readTimeout(o.timeout, join(path, 'timeout'), issues),
    queue: readQueueConfig(o.sending_queue, join(path, 'sending_queue'), issues),
    retry: readRetryConfig(o.retry_on_failure, join(path, 'retry_on_failure'), issues),
  };
}
