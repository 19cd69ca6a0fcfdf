/**
 * Pure helpers that move spans between TraceData without copying spans: the batch buffer is a
 * list of ResourceSpans, a batch is cut from its front, splitting a ResourceSpans/ScopeSpans
 * (sharing its resource and scope objects) when a limit falls inside it.
 */
import type { ResourceSpans, ScopeSpans, TraceData } from '../../pdata/model.js';

export function resourceSpanCount(rs: ResourceSpans): number {
  let n = 0;
  for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

/**
 * Removes up to `max` spans from the front of `buffer` (mutating it) and returns them as one
 * TraceData with their resource and scope. Empty ResourceSpans/ScopeSpans are dropped.
 */
export function takeSpans(buffer: ResourceSpans[], max: number): { td: TraceData; count: number } {
  const out: ResourceSpans[] = [];
  let count = 0;
  while (buffer.length > 0 && count < max) {
    const rs = buffer[0];
    const n = resourceSpanCount(rs);
    if (n === 0) {
      buffer.shift();
      continue;
    }
    if (count + n <= max) {
      out.push(rs);
      buffer.shift();
      count += n;
      continue;
    }
    // Split this ResourceSpans: take whole scopes while they fit, then part of one scope.
    const room = max - count;
    const taken: ScopeSpans[] = [];
    let got = 0;
    while (rs.scopeSpans.length > 0 && got < room) {
      const ss = rs.scopeSpans[0];
      if (got + ss.spans.length <= room) {
        taken.push(ss);
        rs.scopeSpans.shift();
        got += ss.spans.length;
      } else {
        const part = ss.spans.splice(0, room - got);
        taken.push({ scope: ss.scope, schemaUrl: ss.schemaUrl, spans: part });
        got += part.length;
      }
    }
    out.push({ resource: rs.resource, schemaUrl: rs.schemaUrl, scopeSpans: taken });
    count += got;
  }
  return { td: { resourceSpans: out }, count };
}
