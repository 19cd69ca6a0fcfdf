/**
 * The `http` block, table-tested with the inputs and expected fields of upstream
 * awsxrayexporter's http_test.go (old and current semantic conventions, as facts) and the cases
 * where we deliberately differ (docs/exporter-xray.md). Run through makeSegments, so what is left
 * in metadata is checked too.
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../../pdata/model.js';
import { NOW_SEC, SPAN_2, nanos, resource, span } from '../testdata/build.js';
import { readInteger, type HttpBlock } from './http.js';
import { makeSegments, type SegmentDocument, type SegmentOptions } from './segment.js';

const opts: SegmentOptions = { mode: 'passthrough', windowSec: 3600, nowSec: NOW_SEC, indexedAttributes: new Set(), indexAllAttributes: false, meshAnnotations: true };

function docOf(kind: number, attributes: Record<string, unknown>, events?: Parameters<typeof span>[0]['events']): SegmentDocument {
  const r = makeSegments(span({ kind, parentSpanId: SPAN_2, name: '/users/junit', attributes, events }), resource(), opts);
  if (!r.ok) throw new Error(r.reason);
  return r.docs[0]!;
}

const C = SpanKind.CLIENT;
const S = SpanKind.SERVER;
const RECEIVED = [{ name: 'message', timeUnixNano: nanos(NOW_SEC - 1), attributes: [
  { key: 'message.type', value: { stringValue: 'RECEIVED' } },
  { key: 'messaging.message_payload_size_bytes', value: { intValue: 12452 } },
] }];

interface Case {
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  events?: typeof RECEIVED;
  /** Expected request/response fields (undefined: absent). */
  request?: HttpBlock['request'];
  response?: HttpBlock['response'];
  /** Metadata entries that must (value) or must not (undefined) be there. */
  metadata?: Record<string, unknown>;
}

const cases: Case[] = [
  // ---- upstream http_test.go -----------------------------------------------------------------------
  { name: 'client, http.url (TestClientSpanWithURLAttribute)', kind: C, attributes: { 'http.method': 'GET', 'http.url': 'https://api.example.com/users/junit', 'http.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit' }, response: { status: 200 } },
  { name: 'client, url.full (…Stable)', kind: C, attributes: { 'http.request.method': 'GET', 'url.full': 'https://api.example.com/users/junit', 'http.response.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit' }, response: { status: 200 } },
  { name: 'client, scheme + host + target (TestClientSpanWithSchemeHostTargetAttributes)', kind: C, attributes: { 'http.method': 'GET', 'http.scheme': 'https', 'http.host': 'api.example.com', 'http.target': '/users/junit', 'http.status_code': 200, 'user.id': 'junit' }, request: { method: 'GET', url: 'https://api.example.com/users/junit' }, response: { status: 200 }, metadata: { 'user.id': 'junit', 'http.host': undefined } },
  {
    name: 'client, url.scheme + http.host + url.path and url.query (upstream puts the path in url.query)',
    kind: C,
    attributes: { 'http.request.method': 'GET', 'url.scheme': 'https', 'http.host': 'api.example.com', 'url.path': '/users/junit', 'url.query': 'page=2', 'http.response.status_code': 200 },
    request: { method: 'GET', url: 'https://api.example.com/users/junit?page=2' },
    response: { status: 200 },
    metadata: { 'url.path': undefined, 'url.query': undefined, 'url.scheme': undefined },
  },
  {
    name: 'client, peer name + port + peer IP (TestClientSpanWithPeerAttributes)',
    kind: C,
    attributes: { 'http.method': 'GET', 'http.scheme': 'http', 'net.peer.name': 'kb234.example.com', 'net.peer.port': 8080, 'net.peer.ip': '10.8.17.36', 'http.target': '/users/junit', 'http.status_code': 200 },
    request: { method: 'GET', url: 'http://kb234.example.com:8080/users/junit', client_ip: '10.8.17.36' },
    response: { status: 200 },
  },
  {
    name: 'client, http.client_ip wins over net.peer.ip, which is the URL host (TestClientSpanWithHttpPeerAttributes)',
    kind: C,
    attributes: { 'http.client_ip': '1.2.3.4', 'net.peer.ip': '10.8.17.36' },
    request: { url: 'http://10.8.17.36/', client_ip: '1.2.3.4', x_forwarded_for: true },
    metadata: { 'net.peer.ip': undefined },
  },
  {
    name: 'client, client.address wins over network.peer.address (…Stable; upstream drops the peer address)',
    kind: C,
    attributes: { 'url.full': 'https://api.example.com/users/junit', 'client.address': '1.2.3.4', 'network.peer.address': '10.8.17.36' },
    request: { url: 'https://api.example.com/users/junit', client_ip: '1.2.3.4', x_forwarded_for: true },
    metadata: { 'network.peer.address': '10.8.17.36', 'client.address': undefined },
  },
  { name: 'client, IPv4 peer with a port (TestClientSpanWithPeerIp4Attributes)', kind: C, attributes: { 'http.method': 'GET', 'http.scheme': 'http', 'net.peer.ip': '10.8.17.36', 'net.peer.port': '8080', 'http.target': '/users/junit' }, request: { method: 'GET', url: 'http://10.8.17.36:8080/users/junit', client_ip: '10.8.17.36' } },
  {
    name: 'client, IPv6 peer on the default port: bracketed (upstream writes it bare)',
    kind: C,
    attributes: { 'http.method': 'GET', 'http.scheme': 'https', 'net.peer.ip': '2001:db8:85a3::8a2e:370:7334', 'net.peer.port': '443', 'http.target': '/users/junit' },
    request: { method: 'GET', url: 'https://[2001:db8:85a3::8a2e:370:7334]/users/junit', client_ip: '2001:db8:85a3::8a2e:370:7334' },
  },
  { name: 'server, http.url + http.client_ip + user agent (TestServerSpanWithURLAttribute)', kind: S, attributes: { 'http.method': 'GET', 'http.url': 'https://api.example.com/users/junit', 'http.client_ip': '192.168.15.32', 'http.user_agent': 'PostmanRuntime/7.21.0', 'http.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32', user_agent: 'PostmanRuntime/7.21.0', x_forwarded_for: true }, response: { status: 200 } },
  { name: 'server, url.full + client.address + user_agent.original (…Stable)', kind: S, attributes: { 'http.request.method': 'GET', 'url.full': 'https://api.example.com/users/junit', 'client.address': '192.168.15.32', 'user_agent.original': 'PostmanRuntime/7.21.0', 'http.response.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32', user_agent: 'PostmanRuntime/7.21.0', x_forwarded_for: true }, response: { status: 200 } },
  { name: 'server, scheme + host + target (TestServerSpanWithSchemeHostTargetAttributes)', kind: S, attributes: { 'http.method': 'GET', 'http.scheme': 'https', 'http.host': 'api.example.com', 'http.target': '/users/junit', 'http.client_ip': '192.168.15.32', 'http.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32', x_forwarded_for: true }, response: { status: 200 } },
  { name: 'server, url.scheme + server.address + url.path (…Stable)', kind: S, attributes: { 'http.request.method': 'GET', 'url.scheme': 'https', 'server.address': 'api.example.com', 'url.path': '/users/junit', 'client.address': '192.168.15.32', 'http.response.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32', x_forwarded_for: true }, response: { status: 200 } },
  { name: 'server, server_name + default port (TestServerSpanWithSchemeServernamePortTargetAttributes)', kind: S, attributes: { 'http.method': 'GET', 'http.scheme': 'https', 'http.server_name': 'api.example.com', 'net.host.port': 443, 'http.target': '/users/junit', 'http.client_ip': '192.168.15.32', 'http.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32', x_forwarded_for: true }, response: { status: 200 } },
  { name: 'server, server.address + server.port 443 (…Stable)', kind: S, attributes: { 'http.request.method': 'GET', 'url.scheme': 'https', 'server.address': 'api.example.com', 'server.port': 443, 'url.path': '/users/junit', 'client.address': '192.168.15.32', 'http.response.status_code': 200 }, request: { method: 'GET', url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32', x_forwarded_for: true }, response: { status: 200 } },
  {
    name: 'server, host.name + port + received-message size (TestServerSpanWithSchemeNamePortTargetAttributes)',
    kind: S,
    attributes: { 'http.method': 'GET', 'http.scheme': 'http', 'host.name': 'kb234.example.com', 'net.host.port': 8080, 'http.target': '/users/junit', 'http.client_ip': '192.168.15.32', 'http.status_code': 200 },
    events: RECEIVED,
    request: { method: 'GET', url: 'http://kb234.example.com:8080/users/junit', client_ip: '192.168.15.32', x_forwarded_for: true },
    response: { status: 200, content_length: 12452 },
  },
  { name: 'server, server.address + server.port 8080 (…Stable)', kind: S, attributes: { 'http.request.method': 'GET', 'url.scheme': 'http', 'server.address': 'kb234.example.com', 'server.port': 8080, 'url.path': '/users/junit', 'client.address': '192.168.15.32', 'http.response.status_code': 200 }, events: RECEIVED, request: { method: 'GET', url: 'http://kb234.example.com:8080/users/junit', client_ip: '192.168.15.32', x_forwarded_for: true }, response: { status: 200, content_length: 12452 } },
  {
    name: 'no host: no URL, the parts stay in metadata (TestSpanWithNotEnoughHTTPRequestURLAttributes; upstream drops them)',
    kind: S,
    attributes: { 'http.method': 'GET', 'http.scheme': 'http', 'http.client_ip': '192.168.15.32', 'http.user_agent': 'PostmanRuntime/7.21.0', 'http.target': '/users/junit', 'net.host.port': 443, 'net.peer.port': 8080, 'http.status_code': 200 },
    events: RECEIVED,
    request: { method: 'GET', client_ip: '192.168.15.32', user_agent: 'PostmanRuntime/7.21.0', x_forwarded_for: true },
    response: { status: 200, content_length: 12452 },
    metadata: { 'http.target': '/users/junit', 'http.scheme': 'http', 'net.host.port': 443, 'net.peer.port': 8080 },
  },
  {
    name: 'no host, current conventions (…Stable)',
    kind: S,
    attributes: { 'http.request.method': 'GET', 'url.scheme': 'http', 'client.address': '192.168.15.32', 'user_agent.original': 'PostmanRuntime/7.21.0', 'url.path': '/users/junit', 'server.port': 443, 'http.response.status_code': 200 },
    events: RECEIVED,
    request: { method: 'GET', client_ip: '192.168.15.32', user_agent: 'PostmanRuntime/7.21.0', x_forwarded_for: true },
    response: { status: 200, content_length: 12452 },
    metadata: { 'url.path': '/users/junit', 'server.port': 443, 'client.address': undefined },
  },
  {
    name: 'old and current names side by side (…Duplicated)',
    kind: S,
    attributes: { 'http.method': 'GET', 'http.request.method': 'GET', 'http.scheme': 'http', 'url.scheme': 'http', 'http.client_ip': '192.168.15.32', 'client.address': '192.168.15.32', 'http.user_agent': 'PostmanRuntime/7.21.0', 'user_agent.original': 'PostmanRuntime/7.21.0', 'http.target': '/users/junit', 'url.path': '/users/junit', 'net.host.port': 443, 'server.port': 443, 'net.peer.port': 8080, 'http.status_code': 200, 'http.response.status_code': 200 },
    events: RECEIVED,
    request: { method: 'GET', client_ip: '192.168.15.32', user_agent: 'PostmanRuntime/7.21.0', x_forwarded_for: true },
    response: { status: 200, content_length: 12452 },
  },
  { name: 'client.address without a peer address sets x_forwarded_for (TestSpanWithClientAddrWithoutNetworkPeerAddr)', kind: S, attributes: { 'url.full': 'https://api.example.com/users/junit', 'client.address': '192.168.15.32' }, request: { url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32', x_forwarded_for: true } },
  { name: 'client.address equal to the peer address: not forwarded (TestSpanWithClientAddrAndNetworkPeerAddr)', kind: S, attributes: { 'url.full': 'https://api.example.com/users/junit', 'client.address': '192.168.15.32', 'network.peer.address': '192.168.15.32' }, request: { url: 'https://api.example.com/users/junit', client_ip: '192.168.15.32' } },
  {
    name: 'non-IP client.address and network.peer.address: no client IP, both stay in metadata (TestSpanWithClientAddrNotIP)',
    kind: S,
    attributes: { 'url.full': 'https://api.example.com/users/junit', 'client.address': 'api.example.com', 'network.peer.address': 'api.example.com' },
    request: { url: 'https://api.example.com/users/junit' },
    metadata: { 'client.address': 'api.example.com', 'network.peer.address': 'api.example.com' },
  },

  // ---- beyond upstream -------------------------------------------------------------------------
  { name: 'a url.query given with its "?" gets no second one', kind: S, attributes: { 'http.request.method': 'GET', 'server.address': 'shop', 'url.path': '/search', 'url.query': '?q=1' }, request: { method: 'GET', url: 'http://shop/search?q=1' } },
  { name: 'url.query without url.path', kind: S, attributes: { 'http.request.method': 'GET', 'server.address': 'shop', 'url.query': 'q=1' }, request: { method: 'GET', url: 'http://shop/?q=1' } },
  { name: 'network.peer.address (IP) is the client IP of a server span', kind: S, attributes: { 'http.request.method': 'GET', 'network.peer.address': '10.0.0.9' }, request: { method: 'GET', client_ip: '10.0.0.9' }, metadata: { 'network.peer.address': undefined } },
  { name: 'client URL from server.address and server.port', kind: C, attributes: { 'http.request.method': 'GET', 'server.address': 'api.internal', 'server.port': 8443, 'url.scheme': 'https', 'url.path': '/v1' }, request: { method: 'GET', url: 'https://api.internal:8443/v1' } },
  { name: 'http.host wins over server.address for the server URL', kind: S, attributes: { 'http.method': 'GET', 'http.host': 'front.example', 'server.address': 'back.internal', 'http.target': '/x' }, request: { method: 'GET', url: 'http://front.example/x' } },
  { name: 'net.* alone make no http block and stay in metadata', kind: C, attributes: { 'net.peer.name': 'db', 'net.peer.port': 5432 }, metadata: { 'net.peer.name': 'db', 'net.peer.port': 5432 } },
];

describe('http block', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const doc = docOf(c.kind, c.attributes, c.events);
    expect(doc.http?.request).toEqual(c.request);
    expect(doc.http?.response).toEqual(c.response);
    for (const [k, v] of Object.entries(c.metadata ?? {})) expect(doc.metadata?.default?.[k], k).toEqual(v);
  });
});

describe('readInteger: status codes and sizes as Envoy sends them (strings) and as SDKs do (ints)', () => {
  it.each<[string, Parameters<typeof readInteger>[0], number | undefined]>([
    ['three digits', { stringValue: '200' }, 200],
    ['zero', { stringValue: '0' }, 0],
    ['leading zeros', { stringValue: '007' }, 7],
    ['white space around', { stringValue: ' 404\n' }, 404],
    ['fifteen digits', { stringValue: '999999999999999' }, 999999999999999],
    ['sixteen digits', { stringValue: '1234567890123456' }, undefined],
    ['sixteen characters of which fifteen digits and a space', { stringValue: '123456789012345 ' }, 123456789012345],
    ['empty', { stringValue: '' }, undefined],
    ['only white space', { stringValue: '   ' }, undefined],
    ['a sign', { stringValue: '-5' }, undefined],
    ['a plus sign', { stringValue: '+5' }, undefined],
    ['an exponent', { stringValue: '1e3' }, undefined],
    ['a decimal point', { stringValue: '2.0' }, undefined],
    ['a space inside', { stringValue: '20 0' }, undefined],
    ['Arabic-Indic digits', { stringValue: '\u0662\u0660\u0660' }, undefined],
    ['a dash (Envoy’s “no value”)', { stringValue: '-' }, undefined],
    ['an int', { intValue: 503 }, 503],
    ['a whole double', { doubleValue: 200 }, 200],
    ['a fractional double', { doubleValue: 200.5 }, undefined],
    ['nothing', undefined, undefined],
  ])('%s', (_name, value, expected) => {
    expect(readInteger(value)).toBe(expected);
  });
});
