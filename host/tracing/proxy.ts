/**
 * One emulated istio-proxy around the real filter: an Envoy process (one SharedDataStore) with a
 * VM per worker thread, and Envoy's tracer around the filter chain, in the order Envoy runs them
 * for a request:
 *
 * 1. the HTTP connection manager prepares the headers (conn_manager_utility.cc
 *    mutateRequestHeaders): an `x-request-id` is generated when missing (always, for a gateway's
 *    edge requests), the UUID's trace-decision character (index 14) set to `9` when the request is
 *    sampled (mutateTracingRequestHeader), `x-forwarded-client-cert` set on a sidecar's inbound
 *    request that came over mutual TLS (Istio: APPEND_FORWARD) and removed from every other
 *    (mutateXfccRequestHeader);
 * 2. the tracer starts the request's span from those headers (traceRequest, span.ts);
 * 3. the filter chain runs (the real .wasm: proxy_on_request_headers);
 * 4. the router writes the span's context into the request in the tracer's format (context.ts
 *    injectedHeaders; upstream_request.cc injectContext on the downstream headers) and forwards it
 *    — here: calls `upstream` with the request as forwarded, which may run other proxies' requests;
 * 5. the response goes back through the filter (proxy_on_response_headers);
 * 6. the span is finished with the final request headers (custom tags) and buffered per worker
 *    thread, as Envoy's tracers buffer and flush per thread (flush()).
 *
 * A VM runs one request at a time here: a request whose upstream calls back into the same proxy
 * (an application calling out while its inbound request runs) takes another worker; with every
 * worker busy, handle() throws. Documented in docs/abi-and-host.md ("Envoy's tracer around the
 * filter").
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ProxyWasmHost, type RequestResult } from '../host.js';
import type { HeaderList } from '../headers-input.js';
import { SharedDataStore } from '../shared-data.js';
import { extractOpenTelemetry, extractZipkin, firstValue, injectedHeaders } from './context.js';
import { finishSpan, startSpan, type CustomTag, type FinishedSpan, type Operation, type RandomId, type TracerConfig } from './span.js';

export interface EmulatedProxyOptions {
  /** The filter module (e.g. build/meshtrace-filter.wasm). */
  wasm: Uint8Array;
  /** The WasmPlugin's pluginConfig. */
  pluginConfig?: unknown;
  /** Envoy's node id: `sidecar~…`, `router~…` for a gateway. */
  nodeId: string;
  /** A sidecar (inbound listener Ingress, outbound Egress) or a gateway (one Egress listener, edge requests). */
  role: 'sidecar' | 'gateway';
  tracer: TracerConfig;
  /** The tracer's service name (Istio: `<app>.<namespace>`). */
  serviceName: string;
  /** Telemetry customTags. */
  customTags?: Record<string, CustomTag>;
  /** Worker threads, one VM each (default 2). */
  workers?: number;
  /** Clock for span times (nanoseconds since the epoch); the VMs' clock too. */
  clock: () => bigint;
  /** 64-bit IDs for new spans and traces (default: crypto). */
  randomId?: RandomId;
  /** Envoy's random sampling decision for requests without one (randomSamplingPercentage 100 → true). Default true. */
  randomSampling?: boolean;
  /** This workload's SPIFFE identity (the `By=` of x-forwarded-client-cert). */
  spiffe?: string;
  env?: Record<string, string>;
}

export interface ProxyRequest {
  /** Which listener: a sidecar's inbound or outbound; a gateway has one (use `inbound`). */
  direction: 'inbound' | 'outbound';
  /** The request as the downstream codec delivers it (names lower-case). */
  headers: HeaderList;
  /** The upstream cluster the route picked (`inbound|9080||`, `outbound|9080||reviews.default.svc.cluster.local`). */
  upstreamCluster: string;
  /** The caller's SPIFFE identity when it connected over mutual TLS (another sidecar); absent: plaintext. */
  peerIdentity?: string;
  /** The span's operation name (Istio's route decorator); default `<authority><path>`. */
  name?: string;
  /** The upstream: the request as the router forwards it → the response. */
  upstream: (forwarded: HeaderList) => UpstreamAnswer;
  /** Run on this worker (default: the first one not busy). */
  worker?: number;
}

/** What an upstream answers; a ProxyResult is one too, so proxies chain (a caller's upstream is the next proxy). */
export interface UpstreamAnswer {
  status: number;
  /** Response headers besides :status. */
  headers?: HeaderList;
}

export interface ProxyResult extends UpstreamAnswer {
  /** The proxy's span (also buffered for flush() when sampled); null when the tracer started none. */
  span: FinishedSpan | null;
  /** The request as it went upstream (null when the filter answered it). */
  forwarded: HeaderList | null;
  /** The response as it went back downstream (:status first). */
  response: HeaderList;
  /** The response's :status, and its other headers. */
  status: number;
  headers: HeaderList;
  worker: number;
  filter: RequestResult;
}

const defaultRandomId: RandomId = () => {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (id !== '0000000000000000') return id;
  }
};

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Envoy's UUID request-ID extension: index 14 is the trace decision (9 sampled, a client, b forced). */
const TRACED = new Set(['9', 'a', 'b', 'A', 'B']);

const without = (h: HeaderList, name: string): HeaderList => h.filter(([k]) => k !== name);

export class EmulatedProxy {
  readonly shared = new SharedDataStore();
  private readonly vms: ProxyWasmHost[] = [];
  private readonly busy: boolean[] = [];
  private readonly buffers: FinishedSpan[][] = [];
  private readonly randomId: RandomId;

  constructor(private readonly o: EmulatedProxyOptions) {
    this.randomId = o.randomId ?? defaultRandomId;
    for (let w = 0; w < (o.workers ?? 2); w++) {
      const vm = ProxyWasmHost.load(o.wasm, {
        pluginConfig: o.pluginConfig ?? {},
        vmId: 'meshtrace',
        sharedData: this.shared,
        nowNanos: o.clock,
        properties: { 'xds.node': { id: o.nodeId } },
        env: o.env,
        reloadOnFailure: false,
      });
      const c = vm.configure();
      if (!c.accepted) throw new Error(`${o.nodeId}: the filter refused its configuration: ${JSON.stringify(c.logs)}`);
      this.vms.push(vm);
      this.busy.push(false);
      this.buffers.push([]);
    }
  }

  get workers(): number {
    return this.vms.length;
  }

  /** The VM of a worker (its metrics, shared data, logs). */
  vm(worker: number): ProxyWasmHost {
    return this.vms[worker]!;
  }

  /** One request through the proxy: connection manager, tracer, filter, router, upstream, back. */
  handle(req: ProxyRequest): ProxyResult {
    const worker = req.worker ?? this.busy.findIndex((b) => !b);
    if (worker < 0 || worker >= this.vms.length) throw new Error(`${this.o.nodeId}: every worker is busy (a request nested deeper than ${this.vms.length} on one proxy)`);
    if (this.busy[worker]) throw new Error(`${this.o.nodeId}: worker ${worker} is busy`);
    const headers = this.prepare(req);
    const operation: Operation = this.o.role === 'gateway' || req.direction === 'outbound' ? 'egress' : 'ingress';
    const decision = this.decision(headers);
    const extraction = this.o.tracer.provider === 'opentelemetry' ? extractOpenTelemetry(headers, decision) : extractZipkin(headers, decision);
    const name = req.name ?? `${firstValue(headers, ':authority') ?? ''}${firstValue(headers, ':path') ?? ''}`;
    const span = startSpan(this.o.tracer, operation, extraction, this.randomId, name, this.o.clock(), { node_id: this.o.nodeId });
    let forwarded: HeaderList | null = null;
    let status = 0;
    this.busy[worker] = true;
    let filter: RequestResult;
    try {
      filter = this.vms[worker]!.request({
        properties: {
          'xds.listener_direction': req.direction === 'inbound' && this.o.role === 'sidecar' ? 1n : 2n,
          'xds.cluster_name': req.upstreamCluster,
        },
        requestHeaders: headers,
        upstream: (map) => {
          if (span) for (const [k, v] of injectedHeaders(this.o.tracer.provider, span)) map.setCopy(Buffer.from(k), Buffer.from(v));
          forwarded = map.pairs().map(([k, v]) => [k.toString('utf8'), v.toString('utf8')] as [string, string]);
          const answer = req.upstream(forwarded);
          status = answer.status;
          return [[':status', String(answer.status)], ...(answer.headers ?? [])];
        },
      });
    } finally {
      this.busy[worker] = false;
    }
    if (filter.trapped) throw new Error(`${this.o.nodeId}: the filter trapped: ${filter.error}`);
    if (filter.localResponse) status = filter.localResponse.statusCode;
    let finished: FinishedSpan | null = null;
    if (span) {
      finished = finishSpan(span, filter.requestHeaders, { status, upstreamCluster: req.upstreamCluster, env: this.o.env, customTags: this.o.customTags }, this.o.clock());
      if (finished.sampled) this.buffers[worker]!.push(finished);
    }
    const response = filter.responseHeaders;
    return {
      span: finished, forwarded, response, worker, filter,
      status: Number(firstValue(response, ':status') ?? status),
      headers: response.filter(([k]) => !k.startsWith(':')),
    };
  }

  /** The spans a worker's tracer has buffered since its last flush (Envoy flushes per thread). */
  flush(worker: number): FinishedSpan[] {
    const out = this.buffers[worker]!;
    this.buffers[worker] = [];
    return out;
  }

  /** Step 1: what the connection manager does to the request before the tracer and the filters. */
  private prepare(req: ProxyRequest): HeaderList {
    let h: HeaderList = req.headers.map(([k, v]) => [k.toLowerCase(), v]);
    const edge = this.o.role === 'gateway';
    let id = firstValue(h, 'x-request-id');
    if (edge || id === undefined || id === '') {
      id = randomUUID(); // version nibble 4: no trace decision yet
      h = [...without(h, 'x-request-id'), ['x-request-id', id]];
    }
    if (UUID.test(id) && !TRACED.has(id[14]!) && this.o.randomSampling !== false) {
      const sampled = `${id.slice(0, 14)}9${id.slice(15)}`;
      h = h.map(([k, v]) => [k, k === 'x-request-id' ? sampled : v]);
    }
    const xfcc = firstValue(h, 'x-forwarded-client-cert');
    h = without(h, 'x-forwarded-client-cert');
    if (!edge && req.direction === 'inbound' && req.peerIdentity !== undefined) {
      const hash = createHash('sha256').update(req.peerIdentity).digest('hex');
      const current = `By=${this.o.spiffe ?? ''};Hash=${hash};Subject="";URI=${req.peerIdentity}`;
      h.push(['x-forwarded-client-cert', xfcc ? `${xfcc},${current}` : current]);
    }
    return h;
  }

  /** Envoy's tracing decision (Tracing::shouldTraceRequest on the request ID's trace status). */
  private decision(h: HeaderList): boolean {
    const id = firstValue(h, 'x-request-id') ?? '';
    return UUID.test(id) ? TRACED.has(id[14]!) : this.o.randomSampling !== false;
  }
}
