/**
 * Puts `String.prototype` back into V8's fast-properties mode after a library has knocked it into
 * dictionary mode.
 *
 * Why: making `String.prototype` the prototype of another object (`class X extends String`, which
 * ioredis does at load time for RESP3 verbatim strings, or `Object.setPrototypeOf(o,
 * String.prototype)`) turns it into a dictionary-mode object, and V8 (Node 20, V8 11.3) leaves it
 * there: nothing on the string hot paths walks a prototype chain that would make it fast again.
 * Every method call and property load on a string primitive then takes the slow lookup. Measured
 * with the benchmark requests (100 Envoy spans × 21 tags): OTLP protobuf decode 4.0 → 9.8 µs per
 * span and X-Ray translation 10.4 → 15.0 µs per span, in every pipeline of a process that had
 * merely loaded ioredis (the collector loads every component's code at start).
 *
 * How: a named property load that misses through an object whose prototype is
 * `String.prototype` makes V8's load IC call `MakePrototypesFast` on that chain, once the IC has
 * feedback (allocated lazily after a few calls, hence the loop). Idempotent and cheap; the
 * regression test checks the outcome with `%HasFastProperties` in a child process.
 */
const probe = Object.create(String.prototype) as { meshtraceProbe?: unknown };

function loadThroughStringPrototype(o: { meshtraceProbe?: unknown }): unknown {
  return o.meshtraceProbe;
}

export function keepStringPrototypeFast(): void {
  for (let i = 0; i < 64; i++) loadThroughStringPrototype(probe);
}
