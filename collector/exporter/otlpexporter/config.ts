/**
 * `otlp` exporter config (OTLP/gRPC), with the Collector's keys and defaults:
 *
 *   exporters:
 *     otlp:
 *       endpoint: otel-backend.example.com:4317   # or https://host:port, http://host:port
 *       headers: { Authentication: "${env:OTLP_TOKEN}" }
 *       auth: { authenticator: bearertokenauth }  # a grpc_client_auth extension (TLS channels only)
 *       compression: gzip                         # gzip (default) | none
 *       tls: { insecure: false, ca_file: ..., cert_file: ..., key_file: ..., server_name_override: ... }
 *       timeout: 5s
 *       sending_queue: { ... }                    # exporterhelper/config.ts
 *       retry_on_failure: { ... }
 *
 * As in the Collector, TLS is on unless `tls.insecure: true` or the endpoint says `http://`;
 * `https://` forces it.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, parseHostPort, readEnum, readObject, readString, readStringMap, show } from '../../config/validate.js';
import { readQueueConfig, readRetryConfig, readTimeout, type QueueConfig, type RetryConfig } from '../exporterhelper/config.js';
import { readTlsClientConfig, type TlsClientConfig } from './tls.js';
import { readAuthConfig } from '../../extension/extensionauth/client.js';

export type Compression = 'gzip' | 'none';

export interface OtlpExporterConfig {
  /** host:port for the gRPC channel (scheme removed). */
  address: string;
  useTls: boolean;
  headers: Record<string, string>;
  /** `auth.authenticator`: the ID of the extension that adds per-call credentials. */
  authenticator?: string;
  compression: Compression;
  tls: TlsClientConfig;
  timeoutMs: number;
  queue: QueueConfig;
  retry: RetryConfig;
}

const KEYS = ['endpoint', 'headers', 'compression', 'tls', 'timeout', 'sending_queue', 'retry_on_failure', 'balancer_name', 'keepalive', 'auth', 'authority', 'read_buffer_size', 'write_buffer_size', 'wait_for_ready'] as const;

/** `gzip`, `none` or empty (= none, as in the Collector); other codecs are named as unsupported. */
export function readCompression(raw: unknown, path: string, issues: ConfigIssues): Compression {
  if (raw === '') return 'none';
  if (typeof raw === 'string' && ['zstd', 'snappy', 'zlib', 'deflate', 'lz4'].includes(raw)) {
    issues.error(path, `compression ${raw} is not supported; use gzip or none`);
    return 'gzip';
  }
  return readEnum(raw, path, issues, ['gzip', 'none'] as const, 'gzip');
}

/** HTTP/gRPC header names: RFC 7230 tokens. gRPC also refuses upper-case-insensitive duplicates. */
export function readHeaders(raw: unknown, path: string, issues: ConfigIssues): Record<string, string> {
  const headers = readStringMap(raw, path, issues);
  for (const [k, v] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) issues.error(join(path, k), 'not a valid header name');
    else if (/[\r\n\0]/.test(v)) issues.error(join(path, k), 'header value must not contain line breaks or NUL');
  }
  return headers;
}

/** Splits the gRPC endpoint: `host:port`, `http://host:port` (plaintext) or `https://host[:port]` (TLS). */
export function parseGrpcEndpoint(endpoint: string): { address: string; scheme?: 'http' | 'https' } | undefined {
  const m = /^(https?):\/\/([^/]+)\/?$/i.exec(endpoint.trim());
  if (m) {
    const scheme = m[1]!.toLowerCase() as 'http' | 'https';
    let hostPort = m[2]!;
    if (!parseHostPort(hostPort)) {
      if (parseHostPort(`${hostPort}:0`)) hostPort = `${hostPort}:${scheme === 'https' ? 443 : 80}`;
      else return undefined;
    }
    return { address: hostPort, scheme };
  }
  const hp = parseHostPort(endpoint.trim());
  if (!hp || hp.host === '' || hp.port === 0) return undefined;
  return { address: endpoint.trim() };
}

export function parseOtlpExporterConfig(raw: unknown, path: string, issues: ConfigIssues): OtlpExporterConfig {
  const o = readObject(raw, path, issues, KEYS);
  const endpointText = readString(o.endpoint, join(path, 'endpoint'), issues, undefined, { nonEmpty: true });
  let address = '';
  let scheme: 'http' | 'https' | undefined;
  if (endpointText === undefined) {
    if (o.endpoint === undefined || o.endpoint === null) issues.error(join(path, 'endpoint'), 'required: host:port of the OTLP/gRPC destination');
  } else {
    const ep = parseGrpcEndpoint(endpointText);
    if (!ep) issues.error(join(path, 'endpoint'), `expected host:port (or http://host:port, https://host:port), got ${show(endpointText)}`);
    else ({ address, scheme } = ep);
  }
  const tls = readTlsClientConfig(o.tls, join(path, 'tls'), issues);
  for (const k of ['balancer_name', 'keepalive', 'authority', 'read_buffer_size', 'write_buffer_size', 'wait_for_ready'] as const) {
    if (o[k] !== undefined) issues.warn(join(path, k), 'not supported and ignored');
  }
  return {
    address,
    useTls: scheme === 'https' ? true : scheme === 'http' ? false : !tls.insecure,
    headers: readHeaders(o.headers, join(path, 'headers'), issues),
    authenticator: readAuthConfig(o.auth, join(path, 'auth'), issues),
    compression: readCompression(o.compression, join(path, 'compression'), issues),
    tls,
    timeoutMs: readTimeout(o.timeout, join(path, 'timeout'), issues),
    queue: readQueueConfig(o.sending_queue, join(path, 'sending_queue'), issues),
    retry: readRetryConfig(o.retry_on_failure, join(path, 'retry_on_failure'), issues),
  };
}
