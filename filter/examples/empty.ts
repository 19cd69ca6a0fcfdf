// The empty filter: the ABI layer with a root and stream contexts that do nothing. Built to
// build/empty-filter.wasm; the baseline for host calls, bytes copied and time per request.
export * from "../proxy-wasm/exports";
import { RootContext, StreamContext, registerRootContext } from "../proxy-wasm";

class EmptyStream extends StreamContext {}

class EmptyRoot extends RootContext {
  createStreamContext(contextId: u32): StreamContext {
    return new EmptyStream(contextId, this);
  }
}

registerRootContext("meshtrace", (contextId: u32): RootContext => new EmptyRoot(contextId));
