#!/usr/bin/env bash
# Sends a few requests through the local Envoy setup (docker-compose.yaml) and shows what the
# filter did to them and what the collector received.
# NOT RUN on the machines this project is built on (no container runtime there).
set -euo pipefail
cd "$(dirname "$0")"
COMPOSE=(docker compose -f docker-compose.yaml)
ENTRY=${ENTRY:-http://127.0.0.1:15006}

send() {
  local title=$1; shift
  echo "== $title"
  # The response headers (x-request-id echoed by the filter) and what the backend received.
  curl -sS -D - "$@" "$ENTRY/" | node -e '
    let raw = ""; process.stdin.on("data", (c) => (raw += c)).on("end", () => {
      const [head, body] = raw.split(/\r?\n\r?\n/, 2);
      const rid = head.split(/\r?\n/).find((l) => /^x-request-id:/i.test(l));
      console.log("  response", head.split(/\r?\n/)[0], rid ? `| ${rid}` : "| (no x-request-id)");
      try {
        const got = JSON.parse(body).backend.body.received;
        for (const h of ["traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-sampled", "x-request-id",
                         "x-meshtrace-kind", "x-meshtrace-direction"]) if (got[h]) console.log(`  backend got ${h}: ${got[h]}`);
      } catch { console.log("  (unexpected body)", body); }
    });'
}

send "1. no trace context (Envoy starts the trace, the filter adds b3 headers beside traceparent)"
send "2. W3C traceparent from an instrumented client" \
  -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' -H 'tracestate: vendor=value'
send "3. B3 multi only (an older Zipkin client)" \
  -H 'X-B3-TraceId: 463ac35c9f6413ad48485a3953bb6124' -H 'X-B3-SpanId: a2fb4a1d1a96d312' -H 'X-B3-Sampled: 1'
send "4. forged stamps (the filter overwrites them)" \
  -H 'x-meshtrace-kind: client' -H 'x-meshtrace-direction: outbound'
send "5. invalid traceparent (upper-case hex: removed, never forwarded)" \
  -H 'traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'

echo "== waiting for the tracer's flush (5 s) and the collector's batch (1 s)"
sleep 8

echo "== filter counters (Envoy stats)"
curl -sS http://127.0.0.1:9901/stats | grep -i meshtrace || echo "  (none yet)"
echo "== collector metrics"
curl -sS http://127.0.0.1:8888/metrics | grep -E '^(otelcol_receiver_accepted_spans|otelcol_receiver_refused_spans|otelcol_exporter_sent_spans|meshtrace_spans_dropped)' || true
echo "== spans the collector received"
"${COMPOSE[@]}" exec -T collector cat /out/spans.jsonl | node summarize-spans.mjs
