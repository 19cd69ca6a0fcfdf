// The meshtrace filter: root context `meshtrace` (configuration, metrics, node id) and one
// stream context per request (direction stamps, trace-context normalisation, x-request-id).
// Host calls on the common request: get all request headers (1), xds.listener_direction (1),
// the two stamps (2), one counter (1); inbound adds x-request-id on the response (≤ 2).
import { RootContext, StreamContext, Action, PropertyPath, getPropertyInt64, getPropertyString, lastResult, WasmResult, logError, logWarn, fillRandom } from "./proxy-wasm";
import { parsePluginConfig, PluginConfig } from "./config/index";
import {
  DirectionDecision, decideFromConfig, decideFromListenerDirection, decideFromClusterName, directionName, kindName,
  DIRECTION_INBOUND, DIRECTION_UNKNOWN, LISTENER_DIRECTION_ABSENT, SOURCE_LISTENER_DIRECTION, SOURCE_OLD_LISTENER_DIRECTION,
  SOURCE_CLUSTER_NAME, SOURCE_OLD_CLUSTER_NAME,
} from "./direction/direction";
import { ContextDecision, decideContext, formatUuidV4, CONTEXT_HEADER_COUNT, CONTEXT_HEADER_NAMES, ACTION_SET, ACTION_REMOVE } from "./tracecontext/index";
import { FilterMetrics } from "./metrics";
import { HeaderEdits } from "./edits";
import { RequestView, REQUEST_ID_HEADER } from "./request-view";

// Envoy resolves attributes segment by segment; the old names are gone since Envoy 1.33.
const XDS_LISTENER_DIRECTION = new PropertyPath(["xds", "listener_direction"]);
const OLD_LISTENER_DIRECTION = new PropertyPath(["listener_direction"]);
const XDS_CLUSTER_NAME = new PropertyPath(["xds", "cluster_name"]);
const OLD_CLUSTER_NAME = new PropertyPath(["cluster_name"]);
const XDS_NODE_ID = new PropertyPath(["xds", "node", "id"]);
const OLD_NODE_ID = new PropertyPath(["node", "id"]);

export class MeshtraceRoot extends RootContext {
  config: PluginConfig | null = null;
  metrics: FilterMetrics | null = null;
  /** Per proxy, so read at configure time, not per request. */
  nodeId: string | null = null;
  unknownDirectionLogged: bool = false;
  // Per-request scratch, reused: callbacks of different requests never interleave.
  readonly view: RequestView = new RequestView();
  readonly direction: DirectionDecision = new DirectionDecision();
  readonly context: ContextDecision = new ContextDecision();
  readonly edits: HeaderEdits = new HeaderEdits();
  readonly uuidBytes: StaticArray<u8> = new StaticArray<u8>(16);

  onConfigure(size: usize): bool {
    const result = parsePluginConfig(this.pluginConfiguration(size));
    const error = result.error;
    if (error !== null) {
      logError("meshtrace: pluginConfig refused: " + error);
      return false; // Envoy: the plugin does not load (see docs/filter.md, failStrategy)
    }
    const warning = result.warning;
    if (warning !== null) logWarn("meshtrace: pluginConfig: " + warning);
    this.config = result.config;
    if (this.metrics === null) this.metrics = new FilterMetrics();
    const id = getPropertyString(XDS_NODE_ID);
    this.nodeId = id !== null ? id : getPropertyString(OLD_NODE_ID);
    this.unknownDirectionLogged = false;
    return true;
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

  /** A UUIDv4 from WASI random_get, or null if the host refused randomness. */
  newRequestId(): string | null {
    return fillRandom(changetype<usize>(this.uuidBytes), 16) ? formatUuidV4(this.uuidBytes) : null;
  }
}

class MeshtraceStream extends StreamContext {
  private direction: i32 = DIRECTION_UNKNOWN;
  private requestId: string | null = null;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = changetype<MeshtraceRoot>(this.root);
    if (root.config === null || root.metrics === null) return Action.Continue; // not configured
    const config = changetype<PluginConfig>(root.config);
    const metrics = changetype<FilterMetrics>(root.metrics);
    const pairs = this.requestHeaders();
    const view = root.view;
    view.read(pairs, config.kindHeader, config.directionHeader);
    const edits = root.edits;
    edits.reset();

    // Stamps: exactly one header each with our value; forged or repeated ones are replaced.
    const dir = root.decideDirection(config);
    this.direction = dir.direction;
    if (dir.known) {
      const kind = kindName(dir.kind);
      const direction = directionName(dir.direction);
      if (!RequestView.isExactly(pairs, view.kindCount, view.kindIndex, kind)) edits.set(config.kindHeader, kind);
      if (!RequestView.isExactly(pairs, view.directionCount, view.directionIndex, direction)) edits.set(config.directionHeader, direction);
    } else {
      if (view.kindCount > 0) edits.remove(config.kindHeader); // never forward a caller's stamp
      if (view.directionCount > 0) edits.remove(config.directionHeader);
    }

    // Trace context: one authority, every configured format in agreement, invalid headers removed.
    const ctx = decideContext(view.context, config.propagation, root.context);
    for (let h = 0; h < CONTEXT_HEADER_COUNT; h++) {
      const action = unchecked(ctx.actions[h]);
      if (action == ACTION_SET) edits.set(unchecked(CONTEXT_HEADER_NAMES[h]), changetype<string>(unchecked(ctx.values[h])));
      else if (action == ACTION_REMOVE) edits.remove(unchecked(CONTEXT_HEADER_NAMES[h]));
    }

    // x-request-id: generated when missing or empty (set, so an empty one is replaced, not doubled)
    let requestId = view.requestId;
    if ((requestId === null || requestId.length == 0) && config.generateRequestId) {
      const generated = root.newRequestId();
      if (generated !== null) {
        requestId = generated;
        edits.set(REQUEST_ID_HEADER, generated);
        metrics.requestIdsGenerated.increment();
      }
    }
    if (requestId !== null && requestId.length == 0) requestId = null; // nothing to echo
    this.requestId = requestId;

    if (edits.commit(pairs) != 0) {
      metrics.errors.increment();
      logWarn("meshtrace: Envoy refused a request-header update (status " + (<i32>lastResult()).toString() + "); the request continues");
    }
    metrics.countRequest(dir.direction);
    metrics.countInvalid(ctx.invalid);
    if (ctx.converted) metrics.contextsConverted.increment();
    return Action.Continue;
  }

  // Responses to inbound (and gateway) requests carry the request's x-request-id, unless the app set one.
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    const requestId = this.requestId;
    const config = (changetype<MeshtraceRoot>(this.root)).config;
    if (requestId === null || config === null || this.direction != DIRECTION_INBOUND) return Action.Continue;
    if (!config.responseRequestId) return Action.Continue;
    if (this.responseHeader(REQUEST_ID_HEADER) === null) this.addResponseHeader(REQUEST_ID_HEADER, requestId);
    return Action.Continue;
  }
}
