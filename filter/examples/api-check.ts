// Compile check: AssemblyScript only type-checks code that is reachable, so this module calls
// every function of the ABI layer's public API once. Built by build.sh (build/api-check.wasm);
// a compile error here means the API itself is broken. Not run by tests.
export * from "../proxy-wasm/exports";
import * as pw from "../proxy-wasm";

class CheckStream extends pw.HttpContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): pw.Action {
    const h = this.requestHeaders();
    const r = this.responseHeaders();
    this.setRequestHeaders(h);
    this.setResponseHeaders(r);
    this.requestHeader("a"); this.responseHeader("a");
    this.replaceRequestHeader("a", "b"); this.replaceResponseHeader("a", "b");
    this.addRequestHeader("a", "b"); this.addResponseHeader("a", "b");
    this.removeRequestHeader("a"); this.removeResponseHeader("a");
    h.set("a", "b"); h.add("c", "d"); h.remove("c"); h.removeAt(0); h.setValueAt(0, "x");
    h.has("a"); h.get("a"); h.countOf("a"); h.getJoined("a", ","); h.indexOf("a", 0);
    h.name(0); h.value(0); h.nameByteLength(0); h.valueByteLength(0); h.nameIs(0, "a"); h.isLive(0);
    h.serialize(); h.serializedSize(); const m: bool = h.modified; const n: i32 = h.size + h.slotCount;
    pw.HeaderPairs.parse(0, 0);
    pw.getHeaderMapPairs(pw.MapType.RequestTrailers); pw.setHeaderMapPairs(pw.MapType.ResponseTrailers, h);
    pw.getHeaderMapValue(pw.MapType.RequestHeaders, "a"); pw.addHeaderMapValue(pw.MapType.RequestHeaders, "a", "b");
    pw.replaceHeaderMapValue(pw.MapType.RequestHeaders, "a", "b"); pw.removeHeaderMapValue(pw.MapType.RequestHeaders, "a");
    const p = pw.PropertyPath.of(["request", "time"]);
    pw.getPropertyString(p); pw.getPropertyBytes(p); pw.getPropertyInt64(p, 0); pw.getPropertyTimestampNanos(p, 0);
    pw.getPropertyMap(p); pw.setProperty(p, "v");
    pw.getBufferBytes(pw.BufferType.HttpCallResponseBody, 0, 10);
    pw.continueStream(pw.StreamType.Request);
    pw.sendLocalResponse(500, "d", "b", null, 2);
    const c = new pw.Counter("c"); c.increment(1); c.get();
    const g = new pw.Gauge("g"); g.set(1); g.add(-1); g.get();
    const hi = new pw.Histogram("h"); hi.record(5);
    pw.incrementMetric(pw.defineMetric(pw.MetricType.Counter, "x"), 1); pw.recordMetric(1, 2); pw.getMetric(1);
    const sd = pw.getSharedData("k"); pw.setSharedData("k", new ArrayBuffer(1), sd !== null ? sd.cas : 0);
    pw.setTickPeriodMilliseconds(1); pw.getCurrentTimeNanoseconds();
    pw.httpCall("c", h, "", h, 1);
    pw.randomBytes(4); pw.randomU64(); pw.fillRandom(0, 0);
    const name = new pw.ByteString("x-a");
    const view = new pw.HeaderMapView();
    view.fetch(pw.MapType.RequestHeaders);
    if (view.count > 0) { view.nameIs(0, name); view.valueText(0); view.nameAt(0); view.nameLen(0); view.valueAt(0); view.valueLen(0); }
    view.indexOf(name); view.release(); name.toString(); pw.bytesEqual(name.ptr, name.ptr, name.len);
    const scratch = new pw.ByteBuffer(64); scratch.take(8); scratch.reset(); const free: usize = scratch.free;
    pw.addHeaderMapValueBytes(pw.MapType.RequestHeaders, name.ptr, name.len, name.ptr, name.len);
    pw.replaceHeaderMapValueBytes(pw.MapType.RequestHeaders, name.ptr, name.len, name.ptr, name.len);
    pw.removeHeaderMapValueBytes(pw.MapType.RequestHeaders, name.ptr, name.len);
    pw.setHeaderMapPairsBytes(pw.MapType.RequestHeaders, scratch.base, free);
    pw.headerMapValueStatus(pw.MapType.ResponseHeaders, name.ptr, name.len);
    const block = new pw.HostBlock();
    pw.getSharedDataBytes(name.ptr, name.len, block); block.free();
    pw.setSharedDataBytes(name.ptr, name.len, name.ptr, name.len, block.cas);
    pw.log(pw.LogLevel.Info, "x"); pw.logTrace("x"); pw.logDebug("x"); pw.logInfo("x"); pw.logWarn("x"); pw.logError("x"); pw.logCritical("x");
    pw.getLogLevel(); const res: pw.WasmResult = pw.lastResult();
    return m && n > 0 && res == pw.WasmResult.Ok ? pw.Action.Continue : pw.Action.StopIteration;
  }
}

class CheckRoot extends pw.RootContext {
  onConfigure(size: usize): bool {
    pw.getPluginConfiguration(size); pw.getVmConfiguration(size); this.pluginConfiguration(size); this.vmConfiguration(size);
    this.setTickPeriodMilliseconds(5);
    return true;
  }
  createStreamContext(contextId: u32): pw.StreamContext { return new CheckStream(contextId, this); }
}

pw.registerRootContext("api-check", (contextId: u32): pw.RootContext => new CheckRoot(contextId));
