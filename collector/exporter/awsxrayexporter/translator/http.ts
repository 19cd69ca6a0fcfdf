/**
 * The `http` block of a segment, from OTel HTTP semantic conventions (old and current names) and
 * from the tags Envoy puts on every span. Rules follow upstream awsxrayexporter (URL assembled
 * from scheme/host/target when there is no full URL, server vs client host attributes, client IP
 * from forwarded and peer addresses), with these corrections (docs/exporter-xray.md):
 * - a numeric string status (`http.status_code: "200"`, which Envoy sends) is read as the number
 *   it is — upstream reads it as 0 (reference/xray/real-envoy-xray-output);
 * - `url.path` + `url.query` form the target (upstream takes `url.query` alone as the target);
 *   a query given with its `?` gets no second one; an IPv6 host is bracketed;
 * - `server.address`/`server.port` name the host of client URLs too, after `net.peer.*`;
 * - URL parts and addresses that do not end up in the block stay in metadata (upstream drops
 *   them); a non-IP `client.address` / `network.peer.address` is never a client IP;
 * - `x_forwarded_for` is set when the client IP came from a forwarded address that differs from
 *   the peer address (upstream: only when there is no peer address at all).
 */
import { isIP } from 'node:net';
import type { AnyValue, KeyValue } from '../../../pdata/model.js';
import { MAX_HTTP_FIELD_LENGTH, truncate } from './names.js';

export interface HttpBlock {
  request?: { method?: string; url?: string; client_ip?: string; user_agent?: string; x_forwarded_for?: boolean };
  response?: { status?: number; content_length?: number };
}

/**
 * What one pass over the span attributes found. Values are consumed (left out of metadata) when
 * they are fully represented in the block; URL parts and addresses are kept aside in `parts` until
 * buildHttpBlock knows whether they were used. Envoy-only tags are read but never consumed.
 */
export class HttpFacts {
  method?: string;
  url?: string;
  scheme?: string;
  host?: string;
  target?: string;
  path?: string;
  query?: string;
  serverName?: string;
  netHostName?: string;
  hostName?: string;
  hostPort?: string;
  serverAddress?: string;
  serverPort?: string;
  peerName?: string;
  peerPort?: string;
  peerIp?: string;
  networkPeerAddress?: string;
  forwardedClientIp?: string;
  clientAddress?: string;
  userAgent?: string;
  status?: number;
  contentLength?: number;
  /** Envoy's own tags (kept in metadata too). */
  envoyUserAgent?: string;
  envoyResponseSize?: number;
  envoyPeerAddress?: string;
  hasHttp = false;
  /** URL parts and addresses seen, consumed only when the block uses them. */
  parts: KeyValue[] | undefined;
}

/** An integer from an int, a whole double, or a decimal string (Envoy sends strings). */
export function readInteger(v: AnyValue | null | undefined): number | undefined {
  if (v == null) return undefined;
  if (v.intValue != null) {
    const n = typeof v.intValue === 'number' ? v.intValue : v.intValue.toNumber();
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (v.doubleValue != null) return Number.isInteger(v.doubleValue) ? v.doubleValue : undefined;
  if (v.stringValue != null) return decimalInteger(v.stringValue);
  return undefined;
}

/** 1 to 15 decimal digits, with white space around them allowed (String#trim's), as a number. */
function decimalInteger(text: string): number | undefined {
  // Envoy's status codes and sizes: digits only, read without trimming or a regular expression.
  let n = 0;
  const len = text.length;
  if (len > 0 && len <= 15) {
    let i = 0;
    for (; i < len; i++) {
      const c = text.charCodeAt(i) - 0x30;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    if (i === len) return n;
  }
  const s = text.trim();
  return /^\d{1,15}$/.test(s) ? Number(s) : undefined;
}

function str(v: AnyValue | null | undefined): string | undefined {
  if (v == null) return undefined;
  if (v.stringValue != null) return v.stringValue;
  if (v.intValue != null) return String(typeof v.intValue === 'number' ? v.intValue : v.intValue.toString());
  return undefined;
}

/** Every key takeHttpAttribute reacts to (callers may skip it for other keys). */
export const HTTP_ATTRIBUTE_KEYS: readonly string[] = [
  'http.method', 'http.request.method', 'http.url', 'url.full', 'http.scheme', 'url.scheme', 'http.host', 'http.target',
  'url.path', 'url.query', 'http.server_name', 'net.host.name', 'host.name', 'net.host.port', 'server.address', 'server.port',
  'net.peer.name', 'net.peer.port', 'net.peer.ip', 'network.peer.address', 'http.client_ip', 'client.address', 'http.user_agent',
  'user_agent.original', 'http.status_code', 'http.response.status_code', 'http.response_content_length', 'http.response.body.size',
  'user_agent', 'response_size', 'peer.address',
];

/** Whether the attribute is consumed (it then goes to the http block only, as upstream does). */
export const enum Take {
  /** Not used by the http block: stays for annotations/metadata. */
  Keep,
  /** Represented in the http block. */
  Consume,
  /** A URL part or address: consumed only if buildHttpBlock uses it (see HttpFacts.parts). */
  Part,
}

function part(f: HttpFacts, kv: KeyValue): Take {
  (f.parts ??= []).push(kv);
  return Take.Part;
}

/** Records an HTTP attribute and says what becomes of it. */
export function takeHttpAttribute(kv: KeyValue, f: HttpFacts): Take {
  const v = kv.value;
  let s: string | undefined;
  switch (kv.key) {
    case 'http.method':
    case 'http.request.method':
      if ((f.method = str(v)) === undefined) return Take.Keep;
      f.hasHttp = true;
      return Take.Consume;
    case 'http.url':
    case 'url.full':
      if ((f.url = str(v)) === undefined) return Take.Keep;
      f.hasHttp = true;
      return Take.Consume;
    case 'http.user_agent':
    case 'user_agent.original':
      if ((f.userAgent = str(v)) === undefined) return Take.Keep;
      f.hasHttp = true;
      return Take.Consume;
    case 'http.status_code':
    case 'http.response.status_code': {
      const n = readInteger(v);
      // Unreadable or not an HTTP status: keep the raw value in metadata instead.
      if (n === undefined || n < 100 || n > 999) return Take.Keep;
      f.status = n;
      f.hasHttp = true;
      return Take.Consume;
    }
    case 'http.response_content_length':
    case 'http.response.body.size': {
      const n = readInteger(v);
      if (n === undefined || n < 0) return Take.Keep;
      f.contentLength = n;
      f.hasHttp = true;
      return Take.Consume;
    }
    // Envoy's tags: read, not consumed (Istio users find them in metadata as before).
    case 'user_agent':
      f.envoyUserAgent = str(v);
      return Take.Keep;
    case 'response_size':
      f.envoyResponseSize = readInteger(v);
      if (f.envoyResponseSize !== undefined && f.envoyResponseSize < 0) f.envoyResponseSize = undefined;
      return Take.Keep;
    case 'peer.address':
      f.envoyPeerAddress = str(v);
      return Take.Keep;
    default:
      break;
  }
  // URL parts and addresses.
  if ((s = str(v)) === undefined) return Take.Keep;
  switch (kv.key) {
    case 'http.scheme':
    case 'url.scheme':
      f.scheme = s;
      f.hasHttp = true;
      break;
    case 'http.host':
      f.host = s;
      f.hasHttp = true;
      break;
    case 'http.target':
      f.target = s;
      f.hasHttp = true;
      break;
    case 'url.path':
      f.path = s;
      f.hasHttp = true;
      break;
    case 'url.query':
      f.query = s;
      f.hasHttp = true;
      break;
    case 'http.server_name':
      f.serverName = s;
      f.hasHttp = true;
      break;
    case 'net.host.name':
      f.netHostName = s;
      break;
    case 'host.name':
      f.hostName = s;
      break;
    case 'net.host.port':
      f.hostPort = s;
      break;
    case 'server.address':
      f.serverAddress = s;
      break;
    case 'server.port':
      f.serverPort = s;
      break;
    case 'net.peer.name':
      f.peerName = s;
      break;
    case 'net.peer.port':
      f.peerPort = s;
      break;
    case 'net.peer.ip':
      f.peerIp = s;
      break;
    case 'network.peer.address':
      if (isIP(s) === 0) return Take.Keep;
      f.networkPeerAddress = s;
      break;
    case 'http.client_ip':
      f.forwardedClientIp = s;
      f.hasHttp = true;
      break;
    case 'client.address':
      if (isIP(s) === 0) return Take.Keep;
      f.clientAddress = s;
      break;
    default:
      return Take.Keep;
  }
  return part(f, kv);
}

/**
 * The block, or undefined for a span without HTTP attributes. `unused` receives the URL parts
 * and addresses the block does not represent (they belong in metadata).
 */
export function buildHttpBlock(f: HttpFacts, isServer: boolean, unused: KeyValue[]): HttpBlock | undefined {
  if (!f.hasHttp) {
    if (f.parts) for (const kv of f.parts) unused.push(kv);
    return undefined;
  }
  const request: NonNullable<HttpBlock['request']> = {};
  if (f.method !== undefined) request.method = truncate(f.method, MAX_HTTP_FIELD_LENGTH);
  const url = f.url ?? assembleUrl(f, isServer);
  if (url !== undefined) request.url = truncate(url, MAX_HTTP_FIELD_LENGTH);
  const forwarded = f.forwardedClientIp ?? f.clientAddress;
  const peer = f.peerIp ?? f.networkPeerAddress;
  const clientIp = forwarded ?? peer ?? (isServer ? f.envoyPeerAddress : undefined);
  if (clientIp !== undefined) request.client_ip = truncate(clientIp, MAX_HTTP_FIELD_LENGTH);
  if (forwarded !== undefined && forwarded !== peer) request.x_forwarded_for = true;
  const ua = f.userAgent ?? f.envoyUserAgent;
  if (ua !== undefined) request.user_agent = truncate(ua, MAX_HTTP_FIELD_LENGTH);
  const response: NonNullable<HttpBlock['response']> = {};
  if (f.status !== undefined) response.status = f.status;
  const len = f.contentLength ?? f.envoyResponseSize;
  if (len !== undefined) response.content_length = len;
  if (f.parts) {
    for (const kv of f.parts) if (!represented(kv, f, url !== undefined, clientIp)) unused.push(kv);
  }
  const block: HttpBlock = {};
  if (request.method !== undefined || request.url !== undefined || request.client_ip !== undefined || request.user_agent !== undefined) block.request = request;
  if (response.status !== undefined || response.content_length !== undefined) block.response = response;
  return block.request || block.response ? block : undefined;
}

/** Whether the block shows this URL part or address (URL parts all count once there is a URL). */
function represented(kv: KeyValue, f: HttpFacts, hasUrl: boolean, clientIp: string | undefined): boolean {
  switch (kv.key) {
    case 'http.client_ip':
    case 'client.address':
    case 'network.peer.address':
      return str(kv.value) === clientIp;
    case 'net.peer.ip':
      return str(kv.value) === clientIp || (hasUrl && f.url === undefined);
    default:
      return hasUrl;
  }
}

/** Upstream's URL assembly from parts (OTel HTTP conventions, server and client variants). */
function assembleUrl(f: HttpFacts, isServer: boolean): string | undefined {
  let host = f.host;
  let port: string | undefined;
  if (host === undefined) {
    host = isServer ? (f.serverName ?? f.netHostName ?? f.hostName ?? f.serverAddress) : (f.peerName ?? f.peerIp ?? f.serverAddress);
    port = isServer ? (f.hostPort ?? f.serverPort) : (f.peerPort ?? f.serverPort);
  }
  if (host === undefined || host === '') return undefined;
  if (host.includes(':') && !host.startsWith('[') && isIP(host) === 6) host = `[${host}]`;
  const scheme = f.scheme ?? 'http';
  let url = `${scheme}://${host}`;
  if (port && !(scheme === 'http' && port === '80') && !(scheme === 'https' && port === '443')) url += `:${port}`;
  return url + target(f);
}

/** `http.target`, else `url.path` and `url.query` (given with or without its `?`), else `/`. */
function target(f: HttpFacts): string {
  if (f.target !== undefined) return f.target;
  const query = f.query === undefined || f.query === '' || f.query === '?' ? '' : f.query.startsWith('?') ? f.query : `?${f.query}`;
  return (f.path || '/') + query;
}

/** error/fault/throttle as upstream decides them: 4xx error (429 also throttle), 5xx fault, else ERROR status → fault. */
export function classifyStatus(httpStatus: number | undefined, statusIsError: boolean): { error: boolean; fault: boolean; throttle: boolean } {
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus <= 499) {
    return { error: true, fault: false, throttle: httpStatus === 429 };
  }
  if (httpStatus !== undefined && httpStatus >= 500 && httpStatus <= 599) return { error: false, fault: true, throttle: false };
  return { error: false, fault: statusIsError, throttle: false };
}
