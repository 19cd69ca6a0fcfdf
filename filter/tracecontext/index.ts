// Trace-context logic of the meshtrace filter: pure functions, no host calls.
export * from "./context";
export * from "./traceparent";
export * from "./tracestate";
export * from "./b3";
export * from "./propagation";
export * from "./uuid";
