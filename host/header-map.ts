/**
 * An HTTP header map that behaves like Envoy's (source/common/http/header_map_impl.cc,
 * envoy/http/header_map.h) in every way a proxy-wasm filter can observe:
 *
 * - names are lower-cased, ASCII only (Http::LowerCaseString uses absl::AsciiStrToLower);
 *   names and values are bytes, never re-encoded;
 * - pseudo-headers (`:path`, …) always stay before the other headers (HeaderList::insert adds a
 *   pseudo-header at the end of the pseudo-header block, any other header at the end);
 * - the O(1) "inline" headers of the map's kind (INLINE_REQ_HEADERS, INLINE_REQ_RESP_HEADERS,
 *   INLINE_RESP_HEADERS, INLINE_RESP_HEADERS_TRAILERS) hold ONE entry: adding a second value of
 *   one appends it to the first with "," (HeaderMapImpl::insertByKey → appendToHeader), on the
 *   codec path, on addCopy and so on proxy_set_header_map_pairs; an empty value appends nothing;
 * - in a request map the legacy name `host` is the inline `:authority` (StaticLookupTable of
 *   RequestHeaderMapImpl maps HostLegacy to Host);
 * - setCopy (proxy_replace_header_map_value) removes every entry of the name, then adds one at the
 *   end (runtime flag http_set_copy_replace_all_headers, on by default);
 * - remove removes every entry of the name.
 *
 * Headers that extensions register as custom inline headers at run time
 * (CustomInlineHeaderRegistry) depend on the Envoy build and are not emulated: they behave as
 * ordinary headers here.
 */
import type { BytePair } from './pairs.js';

export type HeaderMapKind = 'request' | 'response' | 'request-trailers' | 'response-trailers' | 'plain';

// Header names of Envoy's Http::Headers for each inline list (envoy/http/header_map.h).
const INLINE_REQ = [
  // INLINE_REQ_STRING_HEADERS
  'x-client-trace-id', 'x-envoy-downstream-service-cluster', 'x-envoy-downstream-service-node',
  'x-envoy-external-address', 'x-envoy-force-trace', 'x-envoy-hedge-on-per-try-timeout', 'x-envoy-internal',
  'x-envoy-ip-tags', 'x-envoy-retry-on', 'x-envoy-retry-grpc-on', 'x-envoy-retriable-status-codes',
  'x-envoy-retriable-header-names', 'x-envoy-original-path', 'x-envoy-original-url', 'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-timeout-alt-response', 'expect', 'x-forwarded-client-cert', 'x-forwarded-for',
  'x-forwarded-host', 'x-forwarded-proto', 'grpc-timeout', ':authority', ':method', ':path', ':protocol', ':scheme',
  'te', 'user-agent',
  // INLINE_REQ_NUMERIC_HEADERS
  'x-envoy-expected-rq-timeout-ms', 'x-envoy-max-retries', 'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms', 'x-envoy-upstream-stream-duration-ms',
];
const INLINE_REQ_RESP = [
  // INLINE_REQ_RESP_STRING_HEADERS
  'connection', 'content-type', 'x-envoy-decorator-operation', 'keep-alive', 'proxy-connection', 'proxy-status',
  'x-request-id', 'transfer-encoding', 'upgrade', 'via',
  // INLINE_REQ_RESP_NUMERIC_HEADERS
  'content-length', 'x-envoy-attempt-count',
];
const INLINE_RESP = [
  // INLINE_RESP_STRING_HEADERS
  'date', 'x-envoy-degraded', 'x-envoy-immediate-health-check-fail', 'x-envoy-ratelimited', 'x-envoy-upstream-canary',
  'x-envoy-upstream-healthchecked-cluster', 'location', 'server',
  // INLINE_RESP_NUMERIC_HEADERS
  'x-envoy-upstream-service-time', ':status',
];
const INLINE_RESP_HEADERS_TRAILERS = ['grpc-status', 'grpc-message'];

const INLINE: Readonly<Record<HeaderMapKind, ReadonlySet<string>>> = {
  request: new Set([...INLINE_REQ, ...INLINE_REQ_RESP]),
  response: new Set([...INLINE_RESP, ...INLINE_REQ_RESP, ...INLINE_RESP_HEADERS_TRAILERS]),
  'request-trailers': new Set(),
  'response-trailers': new Set(INLINE_RESP_HEADERS_TRAILERS),
  plain: new Set(),
};

/** True when `name` (lower case) is one of Envoy's inline headers in a map of `kind`. */
export function isInlineHeader(kind: HeaderMapKind, name: string): boolean {
  return INLINE[kind].has(name) || (kind === 'request' && name === 'host');
}

/** ASCII-only lower-casing (bytes ≥ 0x80 are kept as they are). */
export function asciiLower(name: Uint8Array): Buffer {
  const out = Buffer.from(name);
  for (let i = 0; i < out.length; i++) {
    const c = out[i]!;
    if (c >= 0x41 && c <= 0x5a) out[i] = c | 0x20;
  }
  return out;
}

const AUTHORITY = Buffer.from(':authority');
const COMMA = Buffer.from(',');
const isPseudo = (name: Buffer) => name.length > 0 && name[0] === 0x3a;

export class EnvoyHeaderMap {
  private entries: BytePair[] = [];

  constructor(readonly kind: HeaderMapKind) {}

  /** A map built the way Envoy's codecs build one: every pair added in order (insertByKey). */
  static fromPairs(kind: HeaderMapKind, pairs: Iterable<readonly [Uint8Array, Uint8Array]>): EnvoyHeaderMap {
    const map = new EnvoyHeaderMap(kind);
    for (const [k, v] of pairs) map.addCopy(k, v);
    return map;
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entries in order, as Envoy iterates them (the arrays are copies; the buffers are not). */
  pairs(): BytePair[] {
    return this.entries.map(([k, v]) => [k, v] as BytePair);
  }

  clone(): EnvoyHeaderMap {
    const copy = new EnvoyHeaderMap(this.kind);
    copy.entries = this.entries.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as BytePair);
    return copy;
  }

  /** Values of `name` in order (an inline header has at most one). */
  get(name: Uint8Array): Buffer[] {
    const key = this.lookupKey(name);
    return this.entries.filter(([k]) => k.equals(key)).map(([, v]) => v);
  }

  /** HeaderMapImpl::addCopy: a new entry, or for an inline header present already, ",value" appended. */
  addCopy(name: Uint8Array, value: Uint8Array): void {
    const key = this.lookupKey(name);
    const v = Buffer.from(value);
    if (isInlineHeader(this.kind, key.toString('latin1'))) {
      const existing = this.entries.find(([k]) => k.equals(key));
      if (existing) {
        // appendToHeader: nothing for an empty value, the delimiter only after a non-empty one
        if (v.length > 0) existing[1] = existing[1].length > 0 ? Buffer.concat([existing[1], COMMA, v]) : v;
        return;
      }
    }
    this.insert(key, v);
  }

  /** HeaderMapImpl::setCopy: every entry of the name removed, then one added (at the end). */
  setCopy(name: Uint8Array, value: Uint8Array): void {
    this.remove(name);
    this.addCopy(name, value);
  }

  /** HeaderMapImpl::remove: every entry of the name. Returns how many went. */
  remove(name: Uint8Array): number {
    const key = this.lookupKey(name);
    const before = this.entries.length;
    this.entries = this.entries.filter(([k]) => !k.equals(key));
    return before - this.entries.length;
  }

  /** Context::setHeaderMapPairs: every existing entry removed, then each pair added with addCopy. */
  replaceAll(pairs: Iterable<readonly [Uint8Array, Uint8Array]>): void {
    this.entries = [];
    for (const [k, v] of pairs) this.addCopy(k, v);
  }

  // Lower-cased name; in a request map the legacy `host` is the inline `:authority`.
  private lookupKey(name: Uint8Array): Buffer {
    const key = asciiLower(name);
    return this.kind === 'request' && key.length === 4 && key.toString('latin1') === 'host' ? AUTHORITY : key;
  }

  private insert(key: Buffer, value: Buffer): void {
    if (!isPseudo(key)) {
      this.entries.push([key, value]);
      return;
    }
    let at = 0;
    while (at < this.entries.length && isPseudo(this.entries[at]![0])) at++;
    this.entries.splice(at, 0, [key, value]);
  }
}
