/**
 * The `http` block of a segment, from OTel HTTP semantic conventions (old and current names) and
 * from the tags Envoy puts on every span. Rules follow upstream awsxrayexporter (URL assembled
 * from scheme/host/target when there is no full URL, server vs client host attributes), with one
 * correction: a numeric string status (`http.status_code: "200"`, which Envoy sends) is read as
 * the number it is — upstream reads it as 0 (reference/xray/real-envoy-xray-output).
 */
import type { AnyValue, KeyValue } from '../../../pdata/model.js';
import { MAX_HTTP_FIELD_LENGTH, truncate } from './names.js';

export interface HttpBlock {
  request?: { method?: string; url?: string; client_ip?: string; user_agent?: string; x_forwarded_for?: boolean };
  response?: { status?: number; content_length?: number };
}

/** What one pass over the span attributes found. Envoy-only tags are read but not consumed. */
export class HttpFacts {
  method?: string;
  url?: string;
  scheme?: string;
  host?: string;
  target?: string;
  path?: string;
  query?: string;
  serverName?: string;
  hostName?: string;
  hostPort?: string;
  peerName?: string;
  peerPort?: string;
  peerIp?: string;
  clientIp?: string;
  forwardedClientIp = false;
  userAgent?: string;
  status?: number;
  contentLength?: number;
  /** Envoy's own tags (kept in metadata too). */
  envoyUserAgent?: string;
  envoyResponseSize?: number;
  envoyPeerAddress?: string;
  hasHttp = false;
}

/** An integer from an int, a whole double, or a decimal string (Envoy sends strings). */
export function readInteger(v: AnyValue | null | undefined): number | undefined {
  if (v == null) return undefined;
  if (v.intValue != null) {
    const n = typeof v.intValue === 'number' ? v.intValue : v.intValue.toNumber();
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (v.doubleValue != null) return Number.isInteger(v.doubleValue) ? v.doubleValue : undefined;
  if (v.stringValue != null) {
    const s = v.stringValue.trim();
    return /^\d{1,15}$/.test(s) ? Number(s) : undefined;
  }
  return undefined;
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
  'url.path', 'url.query', 'http.server_name', 'net.host.name', 'net.host.port', 'net.peer.name', 'net.peer.port',
  'net.peer.ip', 'http.client_ip', 'client.address', 'http.user_agent', 'user_agent.original', 'http.status_code',
  'http.response.status_code', 'http.response_content_length', 'http.response.body.size', 'user_agent', 'response_size',
  'peer.address',
];

/**
 * Records an HTTP attribute. Returns true when the attribute is consumed (it then goes to the
 * http block only, as upstream does), false when it stays for annotations/metadata.
 */
export function takeHttpAttribute(kv: KeyValue, f: HttpFacts): boolean {
  const v = kv.value;
  switch (kv.key) {
    case 'http.method':
    case 'http.request.method':
      if ((f.method = str(v)) === undefined) return false;
      f.hasHttp = true;
      return true;
    case 'http.url':
    case 'url.full':
      if ((f.url = str(v)) === undefined) return false;
      f.hasHttp = true;
      return true;
    case 'http.scheme':
    case 'url.scheme':
      f.scheme = str(v);
      f.hasHttp = true;
      return f.scheme !== undefined;
    case 'http.host':
      f.host = str(v);
      f.hasHttp = true;
      return f.host !== undefined;
    case 'http.target':
      f.target = str(v);
      f.hasHttp = true;
      return f.target !== undefined;
    case 'url.path':
      f.path = str(v);
      return f.path !== undefined;
    case 'url.query':
      f.query = str(v);
      return f.query !== undefined;
    case 'http.server_name':
      f.serverName = str(v);
      return f.serverName !== undefined;
    case 'net.host.name':
      f.hostName = str(v);
      return f.hostName !== undefined;
    case 'net.host.port':
      f.hostPort = str(v);
      return f.hostPort !== undefined;
    case 'net.peer.name':
      f.peerName = str(v);
      return f.peerName !== undefined;
    case 'net.peer.port':
      f.peerPort = str(v);
      return f.peerPort !== undefined;
    case 'net.peer.ip':
      f.peerIp = str(v);
      return f.peerIp !== undefined;
    case 'http.client_ip':
    case 'client.address':
      if ((f.clientIp = str(v)) === undefined) return false;
      f.forwardedClientIp = kv.key === 'http.client_ip';
      f.hasHttp = true;
      return true;
    case 'http.user_agent':
    case 'user_agent.original':
      if ((f.userAgent = str(v)) === undefined) return false;
      f.hasHttp = true;
      return true;
    case 'http.status_code':
    case 'http.response.status_code': {
      const n = readInteger(v);
      // Unreadable or not an HTTP status: keep the raw value in metadata instead.
      if (n === undefined || n < 100 || n > 999) return false;
      f.status = n;
      f.hasHttp = true;
      return true;
    }
    case 'http.response_content_length':
    case 'http.response.body.size': {
      const n = readInteger(v);
      if (n === undefined || n < 0) return false;
      f.contentLength = n;
      f.hasHttp = true;
      return true;
    }
    // Envoy's tags: read, not consumed (Istio users find them in metadata as before).
    case 'user_agent':
      f.envoyUserAgent = str(v);
      return false;
    case 'response_size':
      f.envoyResponseSize = readInteger(v);
      if (f.envoyResponseSize !== undefined && f.envoyResponseSize < 0) f.envoyResponseSize = undefined;
      return false;
    case 'peer.address':
      f.envoyPeerAddress = str(v);
      return false;
    default:
      return false;
  }
}

export function buildHttpBlock(f: HttpFacts, isServer: boolean): HttpBlock | undefined {
  if (!f.hasHttp) return undefined;
  const request: NonNullable<HttpBlock['request']> = {};
  if (f.method !== undefined) request.method = truncate(f.method, MAX_HTTP_FIELD_LENGTH);
  const url = f.url ?? assembleUrl(f, isServer);
  if (url !== undefined) request.url = truncate(url, MAX_HTTP_FIELD_LENGTH);
  const clientIp = f.clientIp ?? f.peerIp ?? (isServer ? f.envoyPeerAddress : undefined);
  if (clientIp !== undefined) request.client_ip = truncate(clientIp, MAX_HTTP_FIELD_LENGTH);
  if (f.forwardedClientIp) request.x_forwarded_for = true;
  const ua = f.userAgent ?? f.envoyUserAgent;
  if (ua !== undefined) request.user_agent = truncate(ua, MAX_HTTP_FIELD_LENGTH);
  const response: NonNullable<HttpBlock['response']> = {};
  if (f.status !== undefined) response.status = f.status;
  const len = f.contentLength ?? f.envoyResponseSize;
  if (len !== undefined) response.content_length = len;
  const block: HttpBlock = {};
  if (Object.keys(request).length > 0) block.request = request;
  if (Object.keys(response).length > 0) block.response = response;
  return block;
}

/** Upstream's URL assembly from parts (OTel HTTP conventions, server and client variants). */
function assembleUrl(f: HttpFacts, isServer: boolean): string | undefined {
  let host = f.host;
  let port: string | undefined;
  if (host === undefined) {
    host = isServer ? (f.serverName ?? f.hostName) : (f.peerName ?? f.peerIp);
    port = isServer ? f.hostPort : f.peerPort;
  }
  if (host === undefined) return undefined;
  const scheme = f.scheme ?? 'http';
  let url = `${scheme}://${host}`;
  if (port && !(scheme === 'http' && port === '80') && !(scheme === 'https' && port === '443')) url += `:${port}`;
  const target = f.target ?? (f.path !== undefined ? f.path + (f.query ? `?${f.query}` : '') : undefined);
  return url + (target ?? '/');
}

/** error/fault/throttle as upstream decides them: 4xx error (429 also throttle), 5xx fault, else ERROR status → fault. */
export function classifyStatus(httpStatus: number | undefined, statusIsError: boolean): { error: boolean; fault: boolean; throttle: boolean } {
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus <= 499) {
    return { error: true, fault: false, throttle: httpStatus === 429 };
  }
  if (httpStatus !== undefined && httpStatus >= 500 && httpStatus <= 599) return { error: false, fault: true, throttle: false };
  return { error: false, fault: statusIsError, throttle: false };
}
