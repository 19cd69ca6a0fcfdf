/**
 * Config of the `zipkin` receiver, as otelcol's zipkinreceiver: the confighttp server keys at
 * the top level plus `parse_string_tags`.
 *
 *   receivers:
 *     zipkin:
 *       endpoint: localhost:9411
 *       parse_string_tags: false
 *       max_request_body_size: 20MiB, read_header_timeout: 1m, read_timeout: 1m, idle_timeout: 1m,
 *       cors: {...}, response_headers: {...}, compression_algorithms: [gzip, deflate, zlib]
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readBool, readObject } from '../../config/validate.js';
import { HTTP_SERVER_KEYS, readHttpServerConfig, type HttpServerConfig } from '../internal/http-config.js';

export const DEFAULT_ZIPKIN_ENDPOINT = 'localhost:9411';

export interface ZipkinReceiverConfig extends HttpServerConfig {
  parseStringTags: boolean;
}

export function parseZipkinReceiverConfig(raw: unknown, path: string, issues: ConfigIssues): ZipkinReceiverConfig {
  const o = readObject(raw, path, issues, [...HTTP_SERVER_KEYS, 'parse_string_tags']);
  const base = readHttpServerConfig(o, path, issues, DEFAULT_ZIPKIN_ENDPOINT);
  return { ...base, parseStringTags: readBool(o.parse_string_tags, join(path, 'parse_string_tags'), issues, false) };
}
