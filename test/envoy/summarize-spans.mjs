// Reads the collector's file-exporter output (OTLP/JSON, one export request per line) on stdin
// and prints one line per span: trace, span, parent, kind, service, the meshtrace tags and
// Envoy's upstream_cluster, grouped by trace. Used by send-requests.sh.
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

export function attrValue(v) {
  if (!v || typeof v !== 'object') return undefined;
  for (const k of ['stringValue', 'intValue', 'doubleValue', 'boolValue']) if (v[k] !== undefined) return String(v[k]);
  return undefined;
}

function attrMap(list) {
  const m = new Map();
  for (const kv of list ?? []) m.set(kv.key, attrValue(kv.value));
  return m;
}

export function kindName(kind) {
  if (typeof kind === 'number') return KINDS[kind] ?? String(kind);
  return String(kind ?? 'UNSPECIFIED').replace(/^SPAN_KIND_/, '');
}

/** Spans of one OTLP/JSON export request, flattened to the fields the summary shows. */
export function spansOf(request) {
  const out = [];
  for (const rs of request.resourceSpans ?? []) {
    const service = attrMap(rs.resource?.attributes).get('service.name') ?? '?';
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        const a = attrMap(s.attributes);
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || '-',
          kind: kindName(s.kind),
          name: s.name,
          service,
          meshtraceKind: a.get('meshtrace.kind') ?? '-',
          meshtraceDirection: a.get('meshtrace.direction') ?? '-',
          upstreamCluster: a.get('upstream_cluster') ?? '-',
          startTimeUnixNano: s.startTimeUnixNano ?? '0',
        });
      }
    }
  }
  return out;
}

export function formatSummary(spans) {
  const byTrace = new Map();
  for (const s of spans) {
    if (!byTrace.has(s.traceId)) byTrace.set(s.traceId, []);
    byTrace.get(s.traceId).push(s);
  }
  const lines = [];
  for (const [traceId, list] of byTrace) {
    list.sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
    lines.push(`trace ${traceId} (${list.length} spans)`);
    for (const s of list) {
      lines.push(`  ${s.spanId} parent ${s.parentSpanId.padEnd(16)} ${s.kind.padEnd(6)} ${s.service}  ` +
        `meshtrace.kind=${s.meshtraceKind} meshtrace.direction=${s.meshtraceDirection} upstream_cluster=${s.upstreamCluster}  ${s.name}`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const spans = [];
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    try {
      spans.push(...spansOf(JSON.parse(line)));
    } catch (err) {
      console.error(`skipping a line that is not OTLP/JSON: ${err.message}`);
    }
  }
  console.log(spans.length === 0 ? 'the collector has received no spans yet' : formatSummary(spans));
}
