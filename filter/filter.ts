// The meshtrace filter: root context `meshtrace` (configuration, metrics, node id, healing clock)
// and one stream context per request (direction stamps, trace-context normalisation, healing,
// x-request-id).
// Host calls on the common request: all request headers (1), xds.listener_direction (1), the
// changes written back (1), one or two counters; inbound adds remembering its context (1) and the
// response x-request-id (≤ 2); an outbound request looks its ID up (1): to heal it when it has no
// context, to give it the healed trace's alias when it has one.
// The request path reads the header bytes where the host put them and writes new values into a
// reused arena: it allocates one object per request (the stream context), so the end-of-request
// collection has almost nothing to do.
import {
  RootContext, StreamContext, Action, MapType, WasmResult, PropertyPath, HeaderMapView, ByteString, ByteBuffer, BlockPool,
  getPropertyInt64, getPropertyString, lastResult, logError, logWarn, fillRandom, headerMapValueStatus, addHeaderMapValueBytes,
  getCurrentTimeNanoseconds,
} from "./proxy-wasm";
import { parsePluginConfig, PluginConfig } from "./config/index";
import {
  DirectionDecision, decideFromConfig, decideFromListenerDirection, decideFromClusterName, directionName, kindName, kindFor,
  DIRECTION_INBOUND, DIRECTION_OUTBOUND, DIRECTION_UNKNOWN, LISTENER_DIRECTION_ABSENT, SOURCE_LISTENER_DIRECTION, SOURCE_OLD_LISTENER_DIRECTION,
  SOURCE_CLUSTER_NAME, SOURCE_OLD_CLUSTER_NAME, isGatewayNodeId, isWaypointNodeId,
} from "./direction/direction";
import {
  ContextDecision, decideContext, writeUuidV4, UUID_LENGTH, CONTEXT_HEADER_COUNT, ACTION_SET, ACTION_REMOVE, MAX_CONTEXT_VALUE_LENGTH,
} from "./tracecontext/index";
import {
  FilterMetrics, M_CONTEXTS_CONVERTED, M_ERRORS, M_REQUEST_IDS_GENERATED, M_HEAL_HEALED, M_HEAL_MISSES, M_HEAL_EXPIRED, M_HEAL_ALIASED,
} from "./metrics";
import { Healer } from "./heal/healer";
import { healRequest, HEAL_NOTHING, HEAL_HEALED, HEAL_MISS, HEAL_EXPIRED, HEAL_ALIASED } from "./heal/heal-request";
import { ALIAS_LENGTH, isAliasValue, isTrustedInboundAlias } from "./heal/alias";
import { HeaderEdits } from "./edits";
import { RequestView, StampSeen, REQUEST_ID_HEADER, contextHeaderName } from "./request-view";

// Envoy resolves attributes segment by segment; the old names are gone since Envoy 1.33.
const XDS_LISTENER_DIRECTION = new PropertyPath(["xds", "listener_direction"]);
const OLD_LISTENER_DIRECTION = new PropertyPath(["listener_direction"]);
const XDS_CLUSTER_NAME = new PropertyPath(["xds", "cluster_name"]);
const OLD_CLUSTER_NAME = new PropertyPath(["cluster_name"]);
const XDS_NODE_ID = new PropertyPath(["xds", "node", "id"]);
const OLD_NODE_ID = new PropertyPath(["node", "id"]);

// Stamp values (the kind follows the direction); unmanaged, like all long-lived request-path data.
const INBOUND_STAMP: ByteString = new ByteString(directionName(DIRECTION_INBOUND));
const OUTBOUND_STAMP: ByteString = new ByteString(directionName(DIRECTION_OUTBOUND));
const SERVER_STAMP: ByteString = new ByteString(kindName(kindFor(DIRECTION_INBOUND)));
const CLIENT_STAMP: ByteString = new ByteString(kindName(kindFor(DIRECTION_OUTBOUND)));
const HEALED_STAMP: ByteString = new ByteString("1");

/**
 * New header values of one request: rendered context headers (a deduplicated tracestate is at
 * most MAX_CONTEXT_VALUE_LENGTH; the others about 250 bytes together) and a generated request ID.
 */
const ARENA_SIZE: usize = <usize>MAX_CONTEXT_VALUE_LENGTH + 1024;

export class MeshtraceRoot extends RootContext {
  config: PluginConfig | null = null;
  metrics: FilterMetrics | null = null;
  /** Per proxy, so read at configure time, not per request. */
  nodeId: string | null = null;
  /** A gateway or a waypoint: its callers are outside the sidecar mesh (never trusted with an alias). */
  edge: bool = false;
  unknownDirectionLogged: bool = false;
  // Per-request scratch, reused: one callback runs at a time in a VM.
  readonly headers: HeaderMapView = new HeaderMapView();
  readonly view: RequestView = new RequestView();
  readonly direction: DirectionDecision = new DirectionDecision();
  readonly context: ContextDecision = new ContextDecision();
  readonly edits: HeaderEdits = new HeaderEdits();
  readonly arena: ByteBuffer = new ByteBuffer(ARENA_SIZE);
  readonly healer: Healer = new Healer();
  /** Request IDs kept for the response (a UUID is 36 bytes; longer ones get a block of their own). */
  readonly requestIds: BlockPool = new BlockPool(48);
  private readonly random: ByteBuffer = new ByteBuffer(16);

  onConfigure(size: usize): bool {
    const result = parsePluginConfig(this.pluginConfiguration(size));
    const error = result.error;
    if (error !== null) {
      logError("meshtrace: pluginConfig refused: " + error);
      return false; // Envoy: the plugin does not load (see docs/filter.md, failStrategy)
    }
    const warning = result.warning;
    if (warning !== null) logWarn("meshtrace: pluginConfig: " + warning);
    const config = changetype<PluginConfig>(result.config);
    this.config = config;
    if (this.metrics === null) this.metrics = new FilterMetrics();
    // healing's coarse clock: read now, then once a second on proxy_on_tick
    this.setTickPeriodMilliseconds(config.heal ? 1000 : 0);
    this.onTick();
    const id = getPropertyString(XDS_NODE_ID);
    this.nodeId = id !== null ? id : getPropertyString(OLD_NODE_ID);
    this.edge = config.gateway || isGatewayNodeId(this.nodeId) || isWaypointNodeId(this.nodeId);
    this.unknownDirectionLogged = false;
    return true;
  }

  onTick(): void {
    this.healer.nowMs = getCurrentTimeNanoseconds() / 1_000_000;
    if (this.metrics !== null) changetype<FilterMetrics>(this.metrics).flush();
  }

  createStreamContext(contextId: u32): StreamContext {
    return new MeshtraceStream(contextId, this);
  }

  /** Direction of this request, reading a property only when the sources before it did not tell. */
  decideDirection(config: PluginConfig): DirectionDecision {
    const d = this.direction;
    if (decideFromConfig(config.direction, config.gateway, this.nodeId, d)) return d;
    const v = getPropertyInt64(XDS_LISTENER_DIRECTION, LISTENER_DIRECTION_ABSENT);
    if (lastResult() == WasmResult.NotFound) {
      if (decideFromListenerDirection(getPropertyInt64(OLD_LISTENER_DIRECTION, LISTENER_DIRECTION_ABSENT), SOURCE_OLD_LISTENER_DIRECTION, d)) return d;
    } else if (decideFromListenerDirection(v, SOURCE_LISTENER_DIRECTION, d)) return d;
    const cluster = getPropertyString(XDS_CLUSTER_NAME);
    if (cluster !== null) decideFromClusterName(cluster, SOURCE_CLUSTER_NAME, d);
    else decideFromClusterName(getPropertyString(OLD_CLUSTER_NAME), SOURCE_OLD_CLUSTER_NAME, d);
    if (!d.known && !this.unknownDirectionLogged) {
      this.unknownDirectionLogged = true;
      logWarn("meshtrace: cannot tell the direction of requests (no xds.listener_direction, listener_direction or " +
        "Istio cluster name); they are not stamped. Set \"direction\" in pluginConfig if this is not an Istio sidecar or gateway.");
    }
    return d;
  }

  /** A UUIDv4 from WASI random_get written into the arena (its address), or 0 if the host refused randomness. */
  newRequestId(): usize {
    if (!fillRandom(this.random.base, 16)) return 0;
    const out = this.arena.take(<usize>UUID_LENGTH);
    if (out != 0) writeUuidV4(this.random.base, out);
    return out;
  }
}

/**
 * Header `name` leaves with exactly the len bytes at `at`, or not at all when `at` is 0: an edit
 * only when it arrived otherwise (missing, repeated, another value; or, unwanted, present at all).
 */
function stampExactly(edits: HeaderEdits, headers: HeaderMapView, seen: StampSeen, name: ByteString, at: usize, len: i32): void {
  if (at != 0) {
    if (!seen.isExactly(headers, at, len)) edits.set(name, at, len);
  } else if (seen.count > 0) {
    edits.remove(name);
  }
}

class MeshtraceStream extends StreamContext {
  private direction: i32 = DIRECTION_UNKNOWN;
  /** The request's x-request-id, kept for the response when it is echoed (the request map is gone by then). */
  private requestIdAt: usize = 0;
  private requestIdLen: i32 = 0;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = changetype<MeshtraceRoot>(this.root);
    if (root.config === null || root.metrics === null) return Action.Continue; // not configured
    const config = changetype<PluginConfig>(root.config);
    const metrics = changetype<FilterMetrics>(root.metrics);
    const headers = root.headers;
    headers.fetch(MapType.RequestHeaders);
    const view = root.view;
    view.read(headers, config.kindHeaderName, config.directionHeaderName, config.healedHeaderName, config.healedTraceHeaderName);
    const edits = root.edits;
    edits.reset();
    const arena = root.arena;
    arena.reset();

    // Stamps: exactly one header each with our value; forged or repeated ones are replaced.
    const dir = root.decideDirection(config);
    this.direction = dir.direction;
    if (dir.known) {
      const inbound = dir.direction == DIRECTION_INBOUND;
      const kind = inbound ? SERVER_STAMP : CLIENT_STAMP;
      const direction = inbound ? INBOUND_STAMP : OUTBOUND_STAMP;
      stampExactly(edits, headers, view.kind, config.kindHeaderName, kind.ptr, kind.len);
      stampExactly(edits, headers, view.direction, config.directionHeaderName, direction.ptr, direction.len);
    } else {
      // never forward a caller's stamp
      stampExactly(edits, headers, view.kind, config.kindHeaderName, 0, 0);
      stampExactly(edits, headers, view.direction, config.directionHeaderName, 0, 0);
    }

    // x-request-id as it arrived
    let idAt: usize = 0;
    let idLen = 0;
    const idIndex = view.requestIdIndex;
    if (idIndex >= 0) {
      idAt = headers.valueAt(idIndex);
      idLen = headers.valueLen(idIndex);
    }

    // The healed trace's alias a caller sent: kept only from another sidecar over mutual TLS.
    let aliasAt: usize = 0;
    const aliasSeen = view.healedTrace;
    if (dir.direction == DIRECTION_INBOUND && isTrustedInboundAlias(root.edge, aliasSeen.count, view.clientCert)) {
      const at = headers.valueAt(aliasSeen.index);
      if (isAliasValue(at, headers.valueLen(aliasSeen.index))) aliasAt = at;
    }

    // Trace context: one authority, every configured format in agreement, invalid headers removed;
    // then healing: remember an inbound context, restore one on an outbound request without.
    const ctx = decideContext(view.context, config.propagation, root.context, arena);
    const heal = config.heal ? healRequest(root.healer, config, dir.direction, idAt, idLen, view.context, ctx, arena, aliasAt) : HEAL_NOTHING;
    if (dir.direction != DIRECTION_INBOUND) aliasAt = heal != HEAL_NOTHING ? root.healer.aliasOut : 0; // outbound: the filter's alone
    for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) {
      const action = ctx.action(h);
      if (action == ACTION_SET) edits.set(contextHeaderName(h), ctx.valueAt(h), ctx.valueLen(h));
      else if (action == ACTION_REMOVE) edits.remove(contextHeaderName(h));
    }
    // the healed stamp: ours exactly when healed; a caller's never goes on
    stampExactly(edits, headers, view.healed, config.healedHeaderName, heal == HEAL_HEALED ? HEALED_STAMP.ptr : 0, HEALED_STAMP.len);
    // the alias: exactly the trusted or looked-up value; anything else a caller sent never goes on
    stampExactly(edits, headers, aliasSeen, config.healedTraceHeaderName, aliasAt, ALIAS_LENGTH);

    // x-request-id: generated when missing or empty (set, so an empty one is replaced, not doubled)
    if (idLen == 0 && config.generateRequestId) {
      idAt = root.newRequestId();
      if (idAt != 0) {
        idLen = UUID_LENGTH;
        edits.set(REQUEST_ID_HEADER, idAt, idLen);
        metrics.increment(M_REQUEST_IDS_GENERATED);
      }
    }
    if (idLen > 0 && dir.direction == DIRECTION_INBOUND && config.responseRequestId) {
      this.requestIdAt = root.requestIds.take(<usize>idLen);
      this.requestIdLen = idLen;
      memory.copy(this.requestIdAt, idAt, <usize>idLen);
    }

    if (edits.commit(headers) != 0) {
      metrics.increment(M_ERRORS);
      logWarn("meshtrace: Envoy refused a request-header update (status " + (<i32>lastResult()).toString() + "); the request continues");
    }
    headers.release();
    root.healer.release();
    metrics.countRequest(dir.direction);
    metrics.countInvalid(ctx.invalid);
    if (heal == HEAL_HEALED) metrics.later(M_HEAL_HEALED);
    else if (heal == HEAL_MISS) metrics.later(M_HEAL_MISSES);
    else if (heal == HEAL_EXPIRED) metrics.later(M_HEAL_EXPIRED);
    else if (heal == HEAL_ALIASED) metrics.later(M_HEAL_ALIASED);
    if (ctx.converted) metrics.increment(M_CONTEXTS_CONVERTED);
    return Action.Continue;
  }

  // Responses to inbound (and gateway) requests carry the request's x-request-id, unless the app set one.
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.requestIdAt == 0) return Action.Continue;
    if (headerMapValueStatus(MapType.ResponseHeaders, REQUEST_ID_HEADER.ptr, REQUEST_ID_HEADER.len) == WasmResult.NotFound) {
      addHeaderMapValueBytes(MapType.ResponseHeaders, REQUEST_ID_HEADER.ptr, REQUEST_ID_HEADER.len, this.requestIdAt, this.requestIdLen);
    }
    return Action.Continue;
  }

  onDelete(): void {
    changetype<MeshtraceRoot>(this.root).requestIds.give(this.requestIdAt, <usize>this.requestIdLen);
    this.requestIdAt = 0;
  }
}
