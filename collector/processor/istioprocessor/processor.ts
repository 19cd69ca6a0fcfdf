/**
 * The `istio` processor: corrects the spans Envoy/istio-proxy writes (rules.ts) in place, then
 * hands the same TraceData on. One pass over the spans, one reused SpanFacts; the only
 * allocations are the changed attributes themselves.
 *
 * `service.name` is a resource attribute while the canonical service is a span tag, so it is
 * decided per ResourceSpans: when the resource's name is generic and all its Envoy spans name
 * the same canonical service, the resource is renamed; when they name several (spans from
 * different proxies under one generic name), the resource is split so that each span ends up
 * under its own workload's name. Spans without a canonical service keep the original resource.
 * Ambient waypoint spans are named after the service the waypoint acted for in the same way
 * (one waypoint's resource holds the spans of every service it serves), and when their caller is
 * known they get a synthesized CLIENT parent under the caller's name (waypoint.ts,
 * docs/istio-processor.md).
 */
import type { AnyValue, KeyValue, ResourceSpans, ScopeSpans, Span, TraceData } from '../../pdata/model.js';
import { getStringAttr, setAttr, SpanKind, StatusCode } from '../../pdata/model.js';
import type { TraceConsumer, TracesProcessor } from '../../component/component.js';
import type { Logger } from '../../telemetry/logger.js';
import type { IstioProcessorConfig } from './config.js';
import { ATTR, readSpanFacts, SpanFacts } from './span-facts.js';
import {
  decideDirection,
  decideKind,
  directionFromStamp,
  GenericServiceNames,
  isEnvoySpan,
  isWaypointSpan,
  parseStatusCode,
  serviceNameFromCanonical,
  PeerServiceCache,
} from './rules.js';
import { synthesizedClientSpanId, WaypointClusterNames, waypointName, waypointSource } from './waypoint.js';

/** The instrumentation scope of the CLIENT spans this processor synthesizes for waypoint spans. */
export const SYNTHESIZED_SCOPE = { name: 'meshtrace/istioprocessor' } as const;

/**
 * Tags of a waypoint span that describe the request itself and so hold for the caller's side
 * too: copied onto its synthesized CLIENT span (status codes feed the maps' error rates).
 */
function isRequestTag(key: string): boolean {
  return key.startsWith('http.') || key === 'guid:x-request-id' || key === 'response_flags' || key === 'user_agent.original';
}

/** How many spans each rule changed (reset by the caller). */
export class CorrectionCounts {
  spanKind = 0;
  direction = 0;
  peerService = 0;
  statusCode = 0;
  userAgent = 0;
  serviceName = 0;
  waypointService = 0;
  waypointClient = 0;

  reset(): void {
    this.spanKind = 0;
    this.direction = 0;
    this.peerService = 0;
    this.statusCode = 0;
    this.userAgent = 0;
    this.serviceName = 0;
    this.waypointService = 0;
    this.waypointClient = 0;
  }
}

function directionValue(direction: 'inbound' | 'outbound'): AnyValue {
  // A fresh value per span: later components may change attribute values in place.
  return { stringValue: direction };
}

/**
 * Applies the per-span rules to one span whose facts were read into `f`. Returns nothing; what
 * changed is counted in `counts`. Spans that are not Envoy's are left alone by the caller.
 */
export function correctSpan(
  span: Span,
  f: SpanFacts,
  cfg: IstioProcessorConfig,
  counts: CorrectionCounts,
  peers: PeerServiceCache,
): void {
  const attrs = span.attributes;
  const kind = decideKind(f);
  if (cfg.correct_span_kind && kind !== 0 && span.kind !== kind) {
    span.kind = kind;
    counts.spanKind++;
  }

  if (cfg.record_direction) {
    const direction = decideDirection(f);
    if (direction !== undefined) {
      if (f.directionIndex < 0) {
        attrs.push({ key: ATTR.meshtraceDirection, value: directionValue(direction) });
        counts.direction++;
      } else if (directionFromStamp(f.meshtraceDirection) !== undefined && f.meshtraceDirection !== direction) {
        // An interpretable stamp that is stale or differently cased: write the decided value.
        // A stamp we cannot read at all stays as it was.
        attrs[f.directionIndex] = { key: ATTR.meshtraceDirection, value: directionValue(direction) };
        counts.direction++;
      }
    }
  }

  if (cfg.set_peer_service && !f.hasPeerService) {
    const effectiveKind = kind !== 0 ? kind : span.kind;
    if (effectiveKind === SpanKind.CLIENT) {
      const peer = peers.forSpan(f);
      if (peer !== undefined) {
        attrs.push({ key: ATTR.peerService, value: { stringValue: peer } });
        counts.peerService++;
      }
    }
  }

  if (cfg.convert_status_code && f.statusCodeIndex >= 0) {
    const kv = attrs[f.statusCodeIndex];
    const code = parseStatusCode(kv.value!.stringValue!);
    if (code !== undefined) {
      attrs[f.statusCodeIndex] = { key: ATTR.httpStatusCode, value: { intValue: code } };
      counts.statusCode++;
    }
  }

  if (cfg.rename_user_agent && f.userAgentIndex >= 0 && !f.hasUserAgentOriginal) {
    attrs[f.userAgentIndex] = { key: ATTR.userAgentOriginal, value: attrs[f.userAgentIndex].value };
    counts.userAgent++;
  }
}

/** A CLIENT span synthesized for a waypoint span, and the calling service it belongs to. */
interface SynthesizedSpan {
  service: string;
  span: Span;
}

/** The processor proper: rules over every span of a request, then the next consumer. */
export class IstioProcessor implements TracesProcessor {
  private readonly facts = new SpanFacts();
  private readonly peers = new PeerServiceCache();
  private readonly waypoints = new WaypointClusterNames();
  private readonly genericNames: GenericServiceNames;
  private readonly isGeneric: (name: string | undefined) => boolean;
  /** Per resource: the service name each span should be under (undefined: stays), in span order. */
  private readonly targets: (string | undefined)[] = [];
  /** CLIENT spans synthesized while processing one request, added at its end. */
  private readonly synthesized: SynthesizedSpan[] = [];
  readonly counts = new CorrectionCounts();

  constructor(
    private readonly cfg: IstioProcessorConfig,
    private readonly next: TraceConsumer,
    private readonly opts: {
      /** Called after each request with what changed (metrics); `counts` is reset afterwards. */
      onCounts?: (counts: CorrectionCounts) => void;
      logger?: Logger;
    } = {},
  ) {
    this.genericNames = new GenericServiceNames(cfg.generic_service_names);
    this.isGeneric = (name) => this.genericNames.matches(name);
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {}

  consumeTraces(td: TraceData): Promise<void> {
    try {
      this.process(td);
      this.opts.onCounts?.(this.counts);
    } catch (err) {
      // A correction is never worth losing data: pass the request on as far as it got.
      this.opts.logger?.error({ err: (err as Error).message }, 'istio processor failed on a request; passing it on uncorrected');
    }
    this.counts.reset();
    return this.next.consumeTraces(td);
  }

  /** Corrects `td` in place (exposed for tests and the benchmark). */
  process(td: TraceData): void {
    const list = td.resourceSpans;
    let split: ResourceSpans[] | undefined;
    try {
      for (let r = 0; r < list.length; r++) {
        const rs = list[r];
        const extra = this.processResource(rs);
        if (extra !== undefined) {
          if (split === undefined) split = list.slice(0, r);
          if (rs.scopeSpans.length > 0) split.push(rs);
          for (const e of extra) split.push(e);
        } else if (split !== undefined) {
          split.push(rs);
        }
      }
    } finally {
      // Even after a failure: a waypoint span re-parented under a synthesized span needs it.
      if (split !== undefined) td.resourceSpans = split;
      if (this.synthesized.length > 0) this.appendSynthesized(td);
    }
  }

  /**
   * Corrects the spans of one resource; returns extra resources to add when the resource had to
   * be split by service (several proxies under one generic name, or a waypoint's spans for
   * several destination services).
   */
  private processResource(rs: ResourceSpans): ResourceSpans[] | undefined {
    const cfg = this.cfg;
    const f = this.facts;
    const resourceName = getStringAttr(rs.resource?.attributes, ATTR.serviceName);
    const renaming = cfg.service_name_from_canonical && this.genericNames.matches(resourceName);
    const targets = this.targets;
    targets.length = 0;
    // The first target, and whether every span of the resource moves to it.
    let first: string | undefined;
    let uniform = true;

    const scopes = rs.scopeSpans;
    for (let s = 0; s < scopes.length; s++) {
      const spans = scopes[s].spans;
      for (let i = 0; i < spans.length; i++) {
        const span = spans[i];
        readSpanFacts(span.attributes, f);
        let target: string | undefined;
        if (isEnvoySpan(f)) {
          correctSpan(span, f, cfg, this.counts, this.peers);
          if (isWaypointSpan(f)) {
            target = this.handleWaypointSpan(span, f, resourceName);
            if (target !== undefined && target !== resourceName) this.counts.waypointService++;
          } else if (renaming) {
            target = serviceNameFromCanonical(f.canonicalService, f.namespace);
            if (target !== undefined) this.counts.serviceName++;
          }
        }
        // Already under the right name (a second pass, or a waypoint named after its service).
        if (target === resourceName) target = undefined;
        targets.push(target);
        if (target === undefined) uniform = false;
        else if (first === undefined) first = target;
        else if (target !== first) uniform = false;
      }
    }
    // Nothing moves (e.g. SDK spans under `unknown_service`): leave the resource be.
    if (first === undefined) return undefined;
    if (uniform) {
      if (!rs.resource) rs.resource = { attributes: [] };
      else if (!rs.resource.attributes) rs.resource.attributes = [];
      setAttr(rs.resource.attributes, ATTR.serviceName, { stringValue: first });
      return undefined;
    }
    return this.splitByTarget(rs);
  }

  /**
   * The waypoint rules beyond kind and direction (correctSpan did those): the waypoint's name and
   * the caller into attributes, the synthesized CLIENT span. Returns the service name the span
   * belongs under, or undefined to leave it where it is.
   */
  private handleWaypointSpan(span: Span, f: SpanFacts, resourceName: string | undefined): string | undefined {
    const cfg = this.cfg;
    if (!cfg.waypoint_destination_service && !cfg.waypoint_client_spans) return undefined;
    const destination = this.waypoints.destination(f, resourceName);
    const source = waypointSource(f);
    const waypoint = waypointName(f, resourceName, this.isGeneric); // the one a previous pass wrote, if any
    if (cfg.waypoint_destination_service) {
      const attrs = span.attributes;
      if (f.waypointName === undefined && waypoint !== undefined) attrs.push({ key: ATTR.meshtraceWaypoint, value: { stringValue: waypoint } });
      if (source !== undefined && !f.hasMeshtraceSource) attrs.push({ key: ATTR.meshtraceSource, value: { stringValue: source } });
    }
    if (cfg.waypoint_client_spans && source !== undefined && destination !== undefined) {
      this.synthesizeClient(span, source, destination, waypoint);
    }
    return cfg.waypoint_destination_service ? destination : undefined;
  }

  /**
   * Inserts a CLIENT span of the calling service between the waypoint span and its parent: same
   * trace, times, name and request tags, `peer.service` = the destination. Service maps built
   * from client → server pairs then draw caller → destination. Its ID is a fixed function of the
   * waypoint span's, so a span already given one (a second pass) is recognised and left alone.
   */
  private synthesizeClient(span: Span, source: string, destination: string, waypoint: string | undefined): void {
    if (!span.spanId || span.spanId.length !== 8) return;
    const id = synthesizedClientSpanId(span.spanId);
    if (span.parentSpanId && span.parentSpanId.length === 8 && Buffer.compare(span.parentSpanId, id) === 0) return;
    const attributes: KeyValue[] = [];
    // The values are shared, not copied: components replace attributes, they never edit values.
    for (const kv of span.attributes) if (isRequestTag(kv.key)) attributes.push({ key: kv.key, value: kv.value });
    attributes.push({ key: ATTR.peerService, value: { stringValue: destination } });
    attributes.push({ key: ATTR.meshtraceDirection, value: { stringValue: 'outbound' } });
    attributes.push({ key: ATTR.meshtraceSynthesized, value: { boolValue: true } });
    if (waypoint !== undefined) attributes.push({ key: ATTR.meshtraceWaypoint, value: { stringValue: waypoint } });
    const client: Span = {
      traceId: span.traceId,
      spanId: id,
      parentSpanId: span.parentSpanId ?? new Uint8Array(0),
      traceState: span.traceState,
      flags: span.flags,
      name: span.name,
      kind: SpanKind.CLIENT,
      startTimeUnixNano: span.startTimeUnixNano,
      endTimeUnixNano: span.endTimeUnixNano,
      attributes,
      status: span.status ? { code: span.status.code ?? StatusCode.UNSET, message: span.status.message } : undefined,
    };
    span.parentSpanId = id;
    this.synthesized.push({ service: source, span: client });
    this.counts.waypointClient++;
  }

  /** Adds the synthesized spans of this request, one resource per calling service. */
  private appendSynthesized(td: TraceData): void {
    const groups = new Map<string, ResourceSpans>();
    for (const { service, span } of this.synthesized) {
      let group = groups.get(service);
      if (!group) {
        group = {
          resource: { attributes: [{ key: ATTR.serviceName, value: { stringValue: service } }] },
          scopeSpans: [{ scope: { ...SYNTHESIZED_SCOPE }, spans: [] }],
        };
        groups.set(service, group);
        td.resourceSpans.push(group);
      }
      group.scopeSpans[0].spans.push(span);
    }
    this.synthesized.length = 0;
  }

  /**
   * Moves the spans with a target name (this.targets, in span order) into one new resource per
   * name (a copy of the original resource with `service.name` replaced); the rest stay in `rs`.
   */
  private splitByTarget(rs: ResourceSpans): ResourceSpans[] | undefined {
    const targets = this.targets;
    const groups = new Map<string, ResourceSpans>();
    let t = 0;
    for (const ss of rs.scopeSpans) {
      const keep: Span[] = [];
      for (const span of ss.spans) {
        const name = targets[t++];
        if (name === undefined) {
          keep.push(span);
          continue;
        }
        let group = groups.get(name);
        if (!group) {
          group = { resource: renamedResource(rs, name), scopeSpans: [], schemaUrl: rs.schemaUrl };
          groups.set(name, group);
        }
        let target: ScopeSpans | undefined = group.scopeSpans.find((g) => g.scope === ss.scope);
        if (!target) {
          target = { scope: ss.scope, spans: [], schemaUrl: ss.schemaUrl };
          group.scopeSpans.push(target);
        }
        target.spans.push(span);
      }
      ss.spans = keep;
    }
    rs.scopeSpans = rs.scopeSpans.filter((ss) => ss.spans.length > 0);
    if (groups.size === 0) return undefined;
    return [...groups.values()];
  }
}

function renamedResource(rs: ResourceSpans, name: string): { attributes: KeyValue[]; droppedAttributesCount?: number } {
  const attributes = (rs.resource?.attributes ?? []).slice();
  setAttr(attributes, ATTR.serviceName, { stringValue: name });
  return { attributes, droppedAttributesCount: rs.resource?.droppedAttributesCount };
}
