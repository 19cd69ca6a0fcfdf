// A test filter that exercises every part of the ABI layer, driven by request headers, so the
// host/ABI tests can check each host call through real compiled code (build/probe-filter.wasm).
// Not shipped.
export * from "../proxy-wasm/exports";
import {
  RootContext, StreamContext, registerRootContext, Action, MapType, HeaderPairs, PropertyPath,
  Counter, Gauge, Histogram, WasmResult, lastResult, logInfo, logWarn, getLogLevel,
  getPropertyString, getPropertyInt64, getPropertyBytes, getPropertyMap, getHeaderMapValue,
  addHeaderMapValue, replaceHeaderMapValue, removeHeaderMapValue, sendLocalResponse, httpCall,
  getSharedData, setSharedData, getCurrentTimeNanoseconds, randomU64, randomBytes,
  getBufferBytes, BufferType, getHeaderMapPairs, continueStream, StreamType, defineMetric, incrementMetric, MetricType,
} from "../proxy-wasm";

const PLUGIN_NAME = new PropertyPath(["plugin_name"]);
const PLUGIN_ROOT_ID = new PropertyPath(["plugin_root_id"]);
const NODE_ID = new PropertyPath(["xds", "node", "id"]);
const CLUSTER_NAME = new PropertyPath(["xds", "cluster_name"]);
const LISTENER_DIRECTION = new PropertyPath(["xds", "listener_direction"]);

function status(): string {
  return (<i32>lastResult()).toString();
}

// Reads map `type` both ways and tries to write it, answering "pairs=<n>/<status> value=<v|!status> add=<status>".
function mapAccess(type: MapType, name: string): string {
  const pairs = getHeaderMapPairs(type);
  const pairsStatus = status();
  const value = getHeaderMapValue(type, name);
  const valueText = value !== null ? value : "!" + status();
  const add = addHeaderMapValue(type, "x-probe-late", "1");
  return "pairs=" + pairs.size.toString() + "/" + pairsStatus + " value=" + valueText + " add=" + (<i32>add).toString();
}

class ProbeRoot extends RootContext {
  requests: Counter | null = null;
  inflight: Gauge | null = null;
  sizes: Histogram | null = null;
  config: string = "";

  onVmStart(vmConfigurationSize: usize): bool {
    logInfo("probe: vm start, vm config '" + this.vmConfiguration(vmConfigurationSize) + "'");
    return true;
  }

  onConfigure(size: usize): bool {
    const config = this.pluginConfiguration(size);
    if (config == "reject") {
      logWarn("probe: refusing configuration 'reject'");
      return false;
    }
    this.config = config;
    if (config == "root-props") {
      // The root context has no stream: only the node and plugin_* properties resolve.
      const node = getPropertyString(NODE_ID);
      logInfo("probe: root node=" + (node !== null ? node : "!" + status()));
      const cluster = getPropertyString(CLUSTER_NAME);
      logInfo("probe: root cluster=" + (cluster !== null ? cluster : "!" + status()));
      getPropertyInt64(LISTENER_DIRECTION, -1);
      logInfo("probe: root listener_direction status " + status());
      const name = getPropertyString(PLUGIN_NAME);
      const rootId = getPropertyString(PLUGIN_ROOT_ID);
      logInfo("probe: plugin_name=" + (name !== null ? name : "!") + " plugin_root_id=" + (rootId !== null ? rootId : "!"));
    }
    this.requests = new Counter("probe_requests_total");
    this.inflight = new Gauge("probe_inflight");
    this.sizes = new Histogram("probe_header_bytes");
    this.setTickPeriodMilliseconds(1000);
    logInfo("probe: configured with '" + config + "'");
    return true;
  }

  onTick(): void {
    // A root-context http call, answered later through proxy_on_http_call_response.
    const call = new HeaderPairs();
    call.add(":method", "GET");
    call.add(":path", "/tick");
    call.add(":authority", "probe.local");
    const token = httpCall("outbound|80||probe.local", call, "tick", null, 1000);
    logInfo("probe: tick, http call token " + token.toString() + " status " + (<i32>lastResult()).toString());
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {
    const headers = getHeaderMapPairs(MapType.HttpCallResponseHeaders);
    const body = getBufferBytes(BufferType.HttpCallResponseBody, 0, <u32>bodySize);
    const status = headers.get(":status");
    logInfo("probe: http call " + token.toString() + " answered " + (status !== null ? status : "?") +
      " body '" + (body !== null ? String.UTF8.decode(body) : "") + "'");
  }

  createStreamContext(contextId: u32): StreamContext {
    return new ProbeStream(contextId, this);
  }
}

function hex64(v: u64): string {
  let s = v.toString(16);
  while (s.length < 16) s = "0" + s;
  return s;
}

function readProperty(spec: string): string {
  // spec: "<type>:<seg>/<seg>/..."; answers "<spec>=<value>" or "<spec>!<status>".
  const colon = spec.indexOf(":");
  const kind = spec.substring(0, colon);
  const path = new PropertyPath(spec.substring(colon + 1).split("/"));
  let value = "";
  if (kind == "string") {
    const s = getPropertyString(path);
    if (s !== null) value = s;
  } else if (kind == "int64") {
    value = getPropertyInt64(path, -1).toString();
  } else if (kind == "bytes") {
    const b = getPropertyBytes(path);
    if (b !== null) {
      const u = Uint8Array.wrap(b);
      for (let i = 0; i < u.length; i++) value += (u[i] < 16 ? "0" : "") + u[i].toString(16);
    }
  } else if (kind == "map") {
    const m = getPropertyMap(path);
    if (m !== null) {
      for (let i = 0; i < m.slotCount; i++) value += (i > 0 ? ";" : "") + m.name(i) + "=" + m.value(i);
    }
  }
  const r = lastResult();
  return r == WasmResult.Ok ? spec + "=" + value : spec + "!" + (<i32>r).toString();
}

class ProbeStream extends StreamContext {
  lifetime: bool = false;

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    const root = changetype<ProbeRoot>(this.root);
    const h = this.requestHeaders();
    if (root.requests !== null) root.requests!.increment(1);
    if (root.inflight !== null) root.inflight!.add(1);
    if (root.sizes !== null) root.sizes!.record(<u64>h.serializedSize());
    // Round-trip modes (plugin configuration): write the parsed map back untouched
    // ("echo-raw": bytes copied) or after decoding and re-encoding every value ("echo-decode").
    if (root.config == "echo-raw" || root.config == "echo-decode") {
      if (root.config == "echo-decode") for (let i = 0; i < h.slotCount; i++) h.setValueAt(i, h.value(i));
      this.setRequestHeaders(h);
      return Action.Continue;
    }
    const op = h.get("x-probe-op");
    if (op === null) return Action.Continue;
    if (op == "count") {
      h.set("x-probe-count", h.size.toString() + "/" + numHeaders.toString());
      this.setRequestHeaders(h);
    } else if (op == "reencode") {
      // Decode every value to a string and encode it again: exercises UTF-8 both ways.
      for (let i = 0; i < h.slotCount; i++) h.setValueAt(i, h.value(i));
      this.setRequestHeaders(h);
    } else if (op == "edit") {
      h.set("x-set", "one");
      h.add("x-added", "a");
      h.add("X-Added", "b");
      h.remove("x-remove-me");
      const joined = h.getJoined("x-multi", ",");
      h.set("x-multi-joined", joined !== null ? joined : "(none)");
      this.setRequestHeaders(h);
    } else if (op == "single") {
      const v = getHeaderMapValue(MapType.RequestHeaders, "x-single");
      const missing = getHeaderMapValue(MapType.RequestHeaders, "x-does-not-exist");
      replaceHeaderMapValue(MapType.RequestHeaders, "x-single", (v !== null ? v : "null") + "+replaced");
      addHeaderMapValue(MapType.RequestHeaders, "x-single-added", missing === null ? "missing-is-null" : "bad");
      removeHeaderMapValue(MapType.RequestHeaders, "x-probe-op");
    } else if (op == "props") {
      for (let i = h.indexOf("x-probe-prop"); i >= 0; i = h.indexOf("x-probe-prop", i + 1)) {
        h.add("x-probe-result", readProperty(h.value(i)));
      }
      this.setRequestHeaders(h);
    } else if (op == "local") {
      const extra = new HeaderPairs();
      extra.add("x-local", "yes");
      sendLocalResponse(403, "probe_denied", "denied by probe", extra);
      return Action.StopIteration;
    } else if (op == "httpcall") {
      const call = new HeaderPairs();
      call.add(":method", "GET");
      call.add(":path", "/probe");
      call.add(":authority", "probe.local");
      const token = httpCall("outbound|80||probe.local", call, "ping", null, 500);
      logInfo("probe: http call token " + token.toString() + " status " + (<i32>lastResult()).toString());
    } else if (op == "shared") {
      const before = getSharedData("probe-key");
      const cas: u32 = before !== null ? before.cas : 0;
      const r1 = setSharedData("probe-key", String.UTF8.encode("v" + (cas + 1).toString()), cas);
      const r2 = setSharedData("probe-key", String.UTF8.encode("stale"), cas == 0 ? 12345 : cas);
      const after = getSharedData("probe-key");
      h.set("x-shared", (before === null ? "absent" : String.UTF8.decode(before.value)) + "|" +
        (<i32>r1).toString() + "|" + (<i32>r2).toString() + "|" + (after !== null ? String.UTF8.decode(after.value) : "null"));
      this.setRequestHeaders(h);
    } else if (op == "misc") {
      const rb = randomBytes(16);
      h.set("x-random", hex64(randomU64()) + "/" + (rb !== null ? rb.byteLength.toString() : "null"));
      h.set("x-time", getCurrentTimeNanoseconds().toString());
      h.set("x-log-level", (<i32>getLogLevel()).toString());
      this.setRequestHeaders(h);
    } else if (op == "trap") {
      const empty = new Array<i32>(0);
      h.set("x-never", empty[5].toString()); // out of range: abort -> proxy_log -> trap
      this.setRequestHeaders(h);
    } else if (op == "stop") {
      return Action.StopIteration;
    } else if (op == "stop-and-continue") {
      continueStream(StreamType.Request);
      return Action.StopIteration;
    } else if (op == "inline") {
      // Repeats of an inline header through set_header_map_pairs and add, a plain one, a pseudo-header.
      h.add("via", "1.1 a");
      h.add("via", "1.1 b");
      this.setRequestHeaders(h);
      addHeaderMapValue(MapType.RequestHeaders, "x-request-id", "added");
      addHeaderMapValue(MapType.RequestHeaders, "x-plain", "1");
      addHeaderMapValue(MapType.RequestHeaders, "x-plain", "2");
      addHeaderMapValue(MapType.RequestHeaders, ":scheme", "https");
      removeHeaderMapValue(MapType.RequestHeaders, "x-probe-op");
    } else if (op == "lifetime") {
      // Which maps exist in which phase: logged from every callback of this stream.
      this.lifetime = true;
      logInfo("probe: request phase, response map: " + mapAccess(MapType.ResponseHeaders, ":status"));
    } else if (op == "edit-then-trap") {
      // Edits made before a trap stay (Envoy rolls nothing back).
      h.set("x-edited", "before-trap");
      this.setRequestHeaders(h);
      replaceHeaderMapValue(MapType.RequestHeaders, "x-replaced", "before-trap");
      const empty = new Array<i32>(0);
      h.set("x-never", empty[5].toString());
    } else if (op == "config-buffer") {
      // The plugin configuration is readable only while configuring.
      const b = getBufferBytes(BufferType.PluginConfiguration, 0, 64);
      h.set("x-config-buffer", b === null ? "!" + status() : String.UTF8.decode(b));
      this.setRequestHeaders(h);
    } else if (op == "metric-ids") {
      // Every define returns a new id; a counter increment must be positive.
      const a = defineMetric(MetricType.Counter, "probe_twice_total");
      const b = defineMetric(MetricType.Counter, "probe_twice_total");
      const one = incrementMetric(a, 1);
      const two = incrementMetric(b, 2);
      const zero = incrementMetric(a, 0);
      const negative = incrementMetric(a, -1);
      h.set("x-metric-ids", a.toString() + "," + b.toString() + " inc " + (<i32>one).toString() + "," + (<i32>two).toString() +
        " zero " + (<i32>zero).toString() + " negative " + (<i32>negative).toString());
      this.setRequestHeaders(h);
    }
    return Action.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    if (this.lifetime) {
      logInfo("probe: response phase, request map: " + mapAccess(MapType.RequestHeaders, "x-probe-op"));
      logInfo("probe: response phase, response map: " + mapAccess(MapType.ResponseHeaders, ":status"));
    }
    const h = this.responseHeaders();
    const root = changetype<ProbeRoot>(this.root);
    if (root.config == "echo-raw" || root.config == "echo-decode") {
      if (root.config == "echo-decode") for (let i = 0; i < h.slotCount; i++) h.setValueAt(i, h.value(i));
      this.setResponseHeaders(h);
      return Action.Continue;
    }
    const op = h.get("x-probe-response-op");
    if (op !== null && op == "reencode") {
      for (let i = 0; i < h.slotCount; i++) h.setValueAt(i, h.value(i));
      h.set("x-probe-response-count", h.size.toString());
      this.setResponseHeaders(h);
    }
    return Action.Continue;
  }

  onLog(): void {
    if (this.lifetime) {
      logInfo("probe: log phase, request map: " + mapAccess(MapType.RequestHeaders, "x-probe-op"));
      logInfo("probe: log phase, response map: " + mapAccess(MapType.ResponseHeaders, "x-probe-late"));
    }
    const root = changetype<ProbeRoot>(this.root);
    if (root.inflight !== null) root.inflight!.add(-1);
  }
}

registerRootContext("probe", (contextId: u32): RootContext => new ProbeRoot(contextId));
