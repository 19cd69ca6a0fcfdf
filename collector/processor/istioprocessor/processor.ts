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
 */
import type { AnyValue, KeyValue, ResourceSpans, ScopeSpans, Span, TraceData } from '../../pdata/model.js';
import { getStringAttr, setAttr, SpanKind } from '../../pdata/model.js';
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
  isUsableCanonical,
  parseStatusCode,
  serviceNameFromCanonical,
  PeerServiceCache,
} from './rules.js';

/** How many spans each rule changed (reset by the caller). */
export class CorrectionCounts {
  spanKind = 0;
  direction = 0;
  peerService = 0;
  statusCode = 0;
  userAgent = 0;
  serviceName = 0;

  reset(): void {
    this.spanKind = 0;
    this.direction = 0;
    this.peerService = 0;
    this.statusCode = 0;
    this.userAgent = 0;
    this.serviceName = 0;
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

/** The processor proper: rules over every span of a request, then the next consumer. */
export class IstioProcessor implements TracesProcessor {
  private readonly facts = new SpanFacts();
  private readonly peers = new PeerServiceCache();
  private readonly genericNames: GenericServiceNames;
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
    if (split !== undefined) td.resourceSpans = split;
  }

  /**
   * Corrects the spans of one resource; returns extra resources to add when the resource had to
   * be split by canonical service (rare: several proxies under one generic name).
   */
  private processResource(rs: ResourceSpans): ResourceSpans[] | undefined {
    const cfg = this.cfg;
    const f = this.facts;
    const renaming =
      cfg.service_name_from_canonical && this.genericNames.matches(getStringAttr(rs.resource?.attributes, ATTR.serviceName));
    // Canonical service / namespace of the first Envoy span that names one, and whether every
    // span of the resource agrees with it.
    let canonical: string | undefined;
    let namespace: string | undefined;
    let uniform = true;
    let spanTotal = 0;
    let named = 0; // Envoy spans naming a usable canonical service

    const scopes = rs.scopeSpans;
    for (let s = 0; s < scopes.length; s++) {
      const spans = scopes[s].spans;
      for (let i = 0; i < spans.length; i++) {
        const span = spans[i];
        spanTotal++;
        readSpanFacts(span.attributes, f);
        if (!isEnvoySpan(f)) {
          if (renaming) uniform = false;
          continue;
        }
        correctSpan(span, f, cfg, this.counts, this.peers);
        if (renaming) {
          if (!isUsableCanonical(f.canonicalService)) {
            uniform = false;
          } else {
            named++;
            if (canonical === undefined) {
              canonical = f.canonicalService;
              namespace = f.namespace;
            } else if (canonical !== f.canonicalService || namespace !== f.namespace) {
              uniform = false;
            }
          }
        }
      }
    }
    // Nothing names a workload (e.g. SDK spans under `unknown_service`): leave the resource be.
    if (!renaming || named === 0) return undefined;
    if (uniform && canonical !== undefined) {
      const name = serviceNameFromCanonical(canonical, namespace)!;
      if (!rs.resource) rs.resource = { attributes: [] };
      else if (!rs.resource.attributes) rs.resource.attributes = [];
      setAttr(rs.resource.attributes, ATTR.serviceName, { stringValue: name });
      this.counts.serviceName += spanTotal;
      return undefined;
    }
    return this.splitByCanonical(rs);
  }

  /**
   * Moves the spans naming a canonical service into one new resource per service name (a copy of
   * the original resource with `service.name` replaced); the rest stay in `rs`.
   */
  private splitByCanonical(rs: ResourceSpans): ResourceSpans[] | undefined {
    const f = this.facts;
    const groups = new Map<string, ResourceSpans>();
    for (const ss of rs.scopeSpans) {
      const keep: Span[] = [];
      for (const span of ss.spans) {
        readSpanFacts(span.attributes, f);
        const name = isEnvoySpan(f) ? serviceNameFromCanonical(f.canonicalService, f.namespace) : undefined;
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
        this.counts.serviceName++;
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
