// Checks the spec-level promises about what the filter forwards: every context header
// valid by its specification, configured formats present, all formats in agreement.
import { FORMAT, type ContextHeaders, type PureWasm, type ParsedContextView } from './pure-wasm.js';

const pad128 = (id: string) => id.padStart(32, '0');
const sampledBit = (s: ParsedContextView['sampling']) => s === 'accept' || s === 'debug';

/** Returns a list of problems (empty = forwarded headers are valid and agree). */
export function forwardedProblems(w: PureWasm, fwd: ContextHeaders, formats: number, expectContext: boolean): string[] {
  const problems: string[] = [];
  const views: Array<[string, ParsedContextView]> = [];
  if (fwd.traceparent !== undefined) {
    const v = w.parseTraceparent(fwd.traceparent);
    if (v.status !== 'valid') problems.push(`traceparent ${JSON.stringify(fwd.traceparent)} is ${v.status}`);
    else views.push(['traceparent', v]);
  }
  if (fwd.tracestate !== undefined) {
    if (fwd.traceparent === undefined || w.parseTraceparent(fwd.traceparent).status !== 'valid') {
      problems.push('tracestate forwarded without a valid traceparent');
    }
    if (w.tracestate(fwd.tracestate) !== 'valid') problems.push(`tracestate ${JSON.stringify(fwd.tracestate)} is invalid`);
  }
  if (fwd.b3 !== undefined) {
    const v = w.parseB3(fwd.b3);
    if (v.status === 'invalid') problems.push(`b3 ${JSON.stringify(fwd.b3)} is invalid`);
    else if (v.status === 'valid') views.push(['b3', v]);
  }
  const multiSent = ['x-b3-traceid', 'x-b3-spanid', 'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'].some(
    (n) => fwd[n as keyof ContextHeaders] !== undefined,
  );
  if (multiSent) {
    const v = w.parseB3Multi(
      fwd['x-b3-traceid'] ?? null, fwd['x-b3-spanid'] ?? null, fwd['x-b3-parentspanid'] ?? null,
      fwd['x-b3-sampled'] ?? null, fwd['x-b3-flags'] ?? null,
    );
    if (v.status === 'invalid') problems.push(`X-B3 headers are invalid: ${JSON.stringify(fwd)}`);
    else if (v.status === 'valid') {
      views.push(['b3multi', v]);
      if (fwd['x-b3-sampled'] === 'true' || fwd['x-b3-sampled'] === 'false') problems.push('legacy X-B3-Sampled forwarded');
    }
  }
  if (expectContext) {
    if (formats & FORMAT.tracecontext && fwd.traceparent === undefined) problems.push('traceparent missing');
    if (formats & FORMAT.b3 && !views.some(([n]) => n === 'b3')) problems.push('b3 missing');
    if (formats & FORMAT.b3multi && !views.some(([n]) => n === 'b3multi')) problems.push('X-B3 missing');
  }
  if (views.length > 1) {
    const [n0, v0] = views[0];
    for (const [n, v] of views.slice(1)) {
      if (pad128(v.traceId) !== pad128(v0.traceId)) problems.push(`${n} trace ID differs from ${n0}`);
      if (v.spanId !== v0.spanId) problems.push(`${n} span ID differs from ${n0}`);
      if (sampledBit(v.sampling) !== sampledBit(v0.sampling)) problems.push(`${n} sampled differs from ${n0}`);
    }
    const b3s = views.filter(([n]) => n !== 'traceparent').map(([, v]) => v);
    if (b3s.length === 2) {
      if (b3s[0].sampling !== b3s[1].sampling) problems.push('b3 and X-B3 sampling states differ');
      if (b3s[0].parentSpanId && b3s[1].parentSpanId && b3s[0].parentSpanId !== b3s[1].parentSpanId) {
        problems.push('b3 and X-B3 parent span IDs differ');
      }
    }
  }
  return problems;
}
