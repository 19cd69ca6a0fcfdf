/**
 * Config of the `otlp` receiver, with the OpenTelemetry Collector's otlpreceiver keys:
 *
 *   receivers:
 *     otlp:
 *       protocols:
 *         grpc:                          # enabled when present (an empty value is fine)
 *           endpoint: localhost:4317
 *           max_recv_msg_size_mib: 4
 *           max_concurrent_streams: 100  # per connection; 0 = unlimited (otelcol's default)
 *           tls: { cert_file, key_file, client_ca_file }   # optional
 *           keepalive: { server_parameters: { max_connection_idle, max_connection_age,
 *                        max_connection_age_grace, time, timeout },
 *                        enforcement_policy: { min_time: 5m, permit_without_stream: false } }
 *           handshake_timeout: 10s       # ours: preface + SETTINGS (and TLS) within this
 *           max_connections: 1024        # ours: more are closed at once
 *         http:
 *           endpoint: localhost:4318
 *           traces_url_path: /v1/traces
 *           max_request_body_size: 20MiB, read_header_timeout: 1m, read_timeout: 1m,
 *           idle_timeout: 1m, cors: { allowed_origins, allowed_headers, max_age },
 *           response_headers, compression_algorithms: [gzip, deflate, zlib]
 */
import type { ConfigIssues } from '../../config/issues.js';
import { isPlainObject, join, readBool, readDuration, readEndpoint, readEnum, readInt, readNumber, readObject, readSize, readString } from '../../config/validate.js';
import { DEFAULT_MAX_CONNECTIONS, HTTP_SERVER_KEYS, readHttpServerConfig, type HttpServerConfig } from '../internal/http-config.js';
import { readTlsServerConfig, type TlsServerConfig } from '../internal/tls-config.js';

export interface GrpcKeepalive {
  maxConnectionIdleMs?: number;
  maxConnectionAgeMs?: number;
  maxConnectionAgeGraceMs?: number;
  timeMs?: number;
  timeoutMs?: number;
}

/** keepalive.enforcement_policy, grpc-go's defaults (min_time 5m, permit_without_stream false). */
export interface GrpcEnforcementPolicy {
  minTimeMs: number;
  permitWithoutStream: boolean;
}

export interface OtlpGrpcConfig {
  endpoint: string;
  tls?: TlsServerConfig;
  maxRecvMsgSizeBytes: number;
  maxConcurrentStreams: number;
  keepalive: GrpcKeepalive;
  enforcement: GrpcEnforcementPolicy;
  /** The HTTP/2 preface and SETTINGS (after TLS, which has the same deadline) must arrive within this. */
  handshakeTimeoutMs: number;
  /** Open connections at most (0 = unlimited). */
  maxConnections: number;
}

export const DEFAULT_ENFORCEMENT: Readonly<GrpcEnforcementPolicy> = Object.freeze({ minTimeMs: 5 * 60_000, permitWithoutStream: false });
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Streams per connection (HTTP/2 SETTINGS); otelcol's default is unlimited, 0 here too. */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;

export interface OtlpHttpConfig extends HttpServerConfig {
  tracesUrlPath: string;
}

export interface OtlpReceiverConfig {
  grpc?: OtlpGrpcConfig;
  http?: OtlpHttpConfig;
}

export const DEFAULT_GRPC_ENDPOINT = 'localhost:4317';
export const DEFAULT_HTTP_ENDPOINT = 'localhost:4318';
export const DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4;

const GRPC_KEYS = [
  'endpoint',
  'transport',
  'max_recv_msg_size_mib',
  'max_concurrent_streams',
  'read_buffer_size',
  'write_buffer_size',
  'keepalive',
  'include_metadata',
  'tls',
  'auth',
  'handshake_timeout',
  'max_connections',
];

function readGrpc(raw: unknown, path: string, issues: ConfigIssues): OtlpGrpcConfig {
  const o = readObject(raw, path, issues, GRPC_KEYS);
  const endpoint = readEndpoint(o.endpoint, join(path, 'endpoint'), issues, DEFAULT_GRPC_ENDPOINT);
  readEnum(o.transport, join(path, 'transport'), issues, ['tcp', 'tcp4', 'tcp6'], 'tcp');
  const mib = readNumber(o.max_recv_msg_size_mib, join(path, 'max_recv_msg_size_mib'), issues, DEFAULT_MAX_RECV_MSG_SIZE_MIB, { min: 0, max: 2047 });
  const maxConcurrentStreams = readInt(o.max_concurrent_streams, join(path, 'max_concurrent_streams'), issues, DEFAULT_MAX_CONCURRENT_STREAMS, { min: 0 });
  for (const k of ['read_buffer_size', 'write_buffer_size']) {
    if (o[k] !== undefined && o[k] !== null) {
      readSize(o[k], join(path, k), issues, 0);
      issues.warn(join(path, k), 'accepted for compatibility; @grpc/grpc-js sizes its buffers itself');
    }
  }
  if (o.include_metadata !== undefined && o.include_metadata !== null) {
    issues.warn(join(path, 'include_metadata'), 'not supported: request metadata is not passed down the pipeline; ignored');
  }
  const tls = readTlsServerConfig(o.tls, join(path, 'tls'), issues);
  if (tls && (tls.minVersion !== 'TLSv1.2' || tls.maxVersion !== undefined)) {
    issues.warn(join(path, 'tls'), '@grpc/grpc-js does not take min_version/max_version; Node defaults apply (TLS 1.2 and 1.3)');
  }
  if (o.auth !== undefined && o.auth !== null) issues.error(join(path, 'auth'), 'authenticator extensions are not supported by this collector');

  const keepalive: GrpcKeepalive = {};
  const enforcement: GrpcEnforcementPolicy = { ...DEFAULT_ENFORCEMENT };
  if (o.keepalive !== undefined && o.keepalive !== null) {
    const kpath = join(path, 'keepalive');
    const k = readObject(o.keepalive, kpath, issues, ['server_parameters', 'enforcement_policy']);
    const spath = join(kpath, 'server_parameters');
    const sp = readObject(k.server_parameters, spath, issues, ['max_connection_idle', 'max_connection_age', 'max_connection_age_grace', 'time', 'timeout']);
    keepalive.maxConnectionIdleMs = readDuration(sp.max_connection_idle, join(spath, 'max_connection_idle'), issues, undefined);
    keepalive.maxConnectionAgeMs = readDuration(sp.max_connection_age, join(spath, 'max_connection_age'), issues, undefined);
    keepalive.maxConnectionAgeGraceMs = readDuration(sp.max_connection_age_grace, join(spath, 'max_connection_age_grace'), issues, undefined);
    keepalive.timeMs = readDuration(sp.time, join(spath, 'time'), issues, undefined);
    keepalive.timeoutMs = readDuration(sp.timeout, join(spath, 'timeout'), issues, undefined);
    if (k.enforcement_policy !== undefined && k.enforcement_policy !== null) {
      const epath = join(kpath, 'enforcement_policy');
      const ep = readObject(k.enforcement_policy, epath, issues, ['min_time', 'permit_without_stream']);
      enforcement.minTimeMs = readDuration(ep.min_time, join(epath, 'min_time'), issues, enforcement.minTimeMs);
      enforcement.permitWithoutStream = readBool(ep.permit_without_stream, join(epath, 'permit_without_stream'), issues, enforcement.permitWithoutStream);
    }
  }
  const handshakeTimeoutMs = readDuration(o.handshake_timeout, join(path, 'handshake_timeout'), issues, DEFAULT_HANDSHAKE_TIMEOUT_MS);
  const maxConnections = readInt(o.max_connections, join(path, 'max_connections'), issues, DEFAULT_MAX_CONNECTIONS, { min: 0 });
  return { endpoint, tls, maxRecvMsgSizeBytes: Math.round(mib * 1024 * 1024), maxConcurrentStreams, keepalive, enforcement, handshakeTimeoutMs, maxConnections };
}

function readHttp(raw: unknown, path: string, issues: ConfigIssues): OtlpHttpConfig {
  const o = readObject(raw, path, issues, [...HTTP_SERVER_KEYS, 'traces_url_path', 'metrics_url_path', 'logs_url_path']);
  const base = readHttpServerConfig(o, path, issues, DEFAULT_HTTP_ENDPOINT);
  let tracesUrlPath = readString(o.traces_url_path, join(path, 'traces_url_path'), issues, '/v1/traces', { nonEmpty: true });
  // otelcol accepts the path with or without its leading slash.
  if (!tracesUrlPath.startsWith('/')) tracesUrlPath = `/${tracesUrlPath}`;
  if (/[?#\s]/.test(tracesUrlPath)) {
    issues.error(join(path, 'traces_url_path'), `expected a URL path like /v1/traces, got ${JSON.stringify(tracesUrlPath)}`);
    tracesUrlPath = '/v1/traces';
  }
  readString(o.metrics_url_path, join(path, 'metrics_url_path'), issues, undefined);
  readString(o.logs_url_path, join(path, 'logs_url_path'), issues, undefined);
  return { ...base, tracesUrlPath };
}

export function parseOtlpReceiverConfig(raw: unknown, path: string, issues: ConfigIssues): OtlpReceiverConfig {
  const o = readObject(raw, path, issues, ['protocols']);
  const ppath = join(path, 'protocols');
  const protocols = readObject(o.protocols, ppath, issues, ['grpc', 'http']);
  const cfg: OtlpReceiverConfig = {};
  // `grpc:` with no value (YAML null) enables the protocol with its defaults, as in otelcol.
  if (isPlainObject(o.protocols) && 'grpc' in protocols) cfg.grpc = readGrpc(protocols.grpc, join(ppath, 'grpc'), issues);
  if (isPlainObject(o.protocols) && 'http' in protocols) cfg.http = readHttp(protocols.http, join(ppath, 'http'), issues);
  if (!cfg.grpc && !cfg.http && (o.protocols === undefined || isPlainObject(o.protocols))) {
    issues.error(ppath, 'must specify at least one protocol (grpc or http) when using the OTLP receiver');
  }
  if (cfg.grpc && cfg.http && cfg.grpc.endpoint === cfg.http.endpoint && !cfg.grpc.endpoint.endsWith(':0')) {
    issues.error(join(ppath, 'http.endpoint'), `same endpoint as protocols.grpc.endpoint (${cfg.grpc.endpoint})`);
  }
  return cfg;
}
