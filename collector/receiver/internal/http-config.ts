/**
 * The HTTP server settings every HTTP receiver shares, with the OpenTelemetry Collector's
 * confighttp key names and defaults (`endpoint`, `max_request_body_size`, `read_header_timeout`,
 * `read_timeout`, `idle_timeout`, `cors`, `response_headers`, `compression_algorithms`, `tls`).
 */
import type { ConfigIssues } from '../../config/issues.js';
import { readTlsServerConfig, type TlsServerConfig } from './tls-config.js';
import {
  join,
  readBool,
  readDuration,
  readEndpoint,
  readInt,
  readObject,
  readSize,
  readStringList,
  readStringMap,
} from '../../config/validate.js';

export const DEFAULT_MAX_REQUEST_BODY_SIZE = 20 * 1024 * 1024; // confighttp's default: 20 MiB

export const SUPPORTED_ENCODINGS = ['gzip', 'deflate', 'zlib'] as const;

/** Open connections per receiver (ours: confighttp has no such key); more are closed at once. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Requests handled at once per receiver (ours); more are answered 503 + Retry-After. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 128;

export interface CorsConfig {
  allowedOrigins: string[];
  allowedHeaders: string[];
  maxAgeSeconds: number;
}

export interface HttpServerConfig {
  endpoint: string;
  /** Limit on the request body as received and, separately, after decompression (bytes). */
  maxRequestBodySize: number;
  /** Time allowed to receive the request headers (0 = no limit). */
  readHeaderTimeoutMs: number;
  /** Time allowed to receive the whole request, headers and body (0 = no limit). */
  readTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  idleTimeoutMs: number;
  cors?: CorsConfig;
  responseHeaders: Record<string, string>;
  /** Content-Encodings accepted (besides identity). */
  compressionAlgorithms: string[];
  /** HTTPS when set. */
  tls?: TlsServerConfig;
  /** Open connections at most (0 = unlimited). */
  maxConnections: number;
  /** Requests in flight at most (0 = unlimited). */
  maxConcurrentRequests: number;
}

/** Keys of confighttp.ServerConfig this collector reads; a receiver adds its own. */
export const HTTP_SERVER_KEYS = [
  'endpoint',
  'max_request_body_size',
  'read_header_timeout',
  'read_timeout',
  'idle_timeout',
  'write_timeout',
  'cors',
  'response_headers',
  'compression_algorithms',
  'include_metadata',
  'tls',
  'auth',
  'max_connections',
  'max_concurrent_requests',
] as const;

/**
 * Reads the confighttp keys of an already key-checked mapping `o` found at `path`.
 * `auth` (authenticator extensions) is refused rather than silently ignored.
 */
export function readHttpServerConfig(
  o: Record<string, unknown>,
  path: string,
  issues: ConfigIssues,
  defaultEndpoint: string,
): HttpServerConfig {
  const endpoint = readEndpoint(o.endpoint, join(path, 'endpoint'), issues, defaultEndpoint);
  const maxRequestBodySize = readSize(o.max_request_body_size, join(path, 'max_request_body_size'), issues, DEFAULT_MAX_REQUEST_BODY_SIZE, {
    min: 1,
  });
  const readHeaderTimeoutMs = readDuration(o.read_header_timeout, join(path, 'read_header_timeout'), issues, 60_000);
  const readTimeoutMs = readDuration(o.read_timeout, join(path, 'read_timeout'), issues, 60_000);
  const idleTimeoutMs = readDuration(o.idle_timeout, join(path, 'idle_timeout'), issues, 60_000);
  if (o.write_timeout !== undefined && o.write_timeout !== null) {
    readDuration(o.write_timeout, join(path, 'write_timeout'), issues, 30_000);
    issues.warn(join(path, 'write_timeout'), 'accepted for compatibility; this collector answers with small bodies and does not enforce it');
  }
  if (o.include_metadata !== undefined && o.include_metadata !== null) {
    readBool(o.include_metadata, join(path, 'include_metadata'), issues, false);
    issues.warn(join(path, 'include_metadata'), 'not supported: request metadata is not passed down the pipeline; ignored');
  }
  const tls = readTlsServerConfig(o.tls, join(path, 'tls'), issues);
  if (o.auth !== undefined && o.auth !== null) {
    issues.error(join(path, 'auth'), 'authenticator extensions are not supported by this collector');
  }
  const responseHeaders = readStringMap(o.response_headers, join(path, 'response_headers'), issues);
  const compressionAlgorithms = readStringList(o.compression_algorithms, join(path, 'compression_algorithms'), issues, [
    ...SUPPORTED_ENCODINGS,
  ]);
  compressionAlgorithms.forEach((a, i) => {
    if (!(SUPPORTED_ENCODINGS as readonly string[]).includes(a)) {
      issues.error(`${join(path, 'compression_algorithms')}[${i}]`, `unsupported compression "${a}" (supported: ${SUPPORTED_ENCODINGS.join(', ')})`);
    }
  });
  let cors: CorsConfig | undefined;
  if (o.cors !== undefined && o.cors !== null) {
    const cpath = join(path, 'cors');
    const c = readObject(o.cors, cpath, issues, ['allowed_origins', 'allowed_headers', 'max_age']);
    cors = {
      allowedOrigins: readStringList(c.allowed_origins, join(cpath, 'allowed_origins'), issues),
      allowedHeaders: readStringList(c.allowed_headers, join(cpath, 'allowed_headers'), issues),
      maxAgeSeconds: readInt(c.max_age, join(cpath, 'max_age'), issues, 0, { min: 0 }),
    };
  }
  const maxConnections = readInt(o.max_connections, join(path, 'max_connections'), issues, DEFAULT_MAX_CONNECTIONS, { min: 0 });
  const maxConcurrentRequests = readInt(o.max_concurrent_requests, join(path, 'max_concurrent_requests'), issues, DEFAULT_MAX_CONCURRENT_REQUESTS, { min: 0 });
  return {
    endpoint,
    maxConnections,
    maxConcurrentRequests,
    maxRequestBodySize,
    readHeaderTimeoutMs,
    readTimeoutMs,
    idleTimeoutMs,
    cors,
    responseHeaders,
    compressionAlgorithms,
    tls,
  };
}
