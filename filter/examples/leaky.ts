// A deliberately leaking filter: keeps every request's headers forever. The leak test runs it
// to prove that its memory check detects growth (build/leaky-filter.wasm). Not shipped.
export * from "../proxy-wasm/exports";
import { RootContext, StreamContext, registerRootContext, Action, HeaderPairs } from "../proxy-wasm";

const kept = new Array<HeaderPairs>();

class LeakyStream extends StreamContext {
  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action {
    kept.push(this.requestHeaders());
    return Action.Continue;
  }
}

class LeakyRoot extends RootContext {
  createStreamContext(contextId: u32): StreamContext { return new LeakyStream(contextId, this); }
}

registerRootContext("leaky", (contextId: u32): RootContext => new LeakyRoot(contextId));
