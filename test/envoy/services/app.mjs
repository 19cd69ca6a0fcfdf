// A tiny service for the local Envoy setup. ROLE=frontend answers by calling the backend
// through its sidecar (Envoy's outbound listener), forwarding the trace-context headers as an
// instrumented application would; ROLE=backend answers with the headers it received, so the
// caller can see what the filter left on the request.
import http from 'node:http';

const ROLE = process.env.ROLE ?? 'backend';
const PORT = Number(process.env.PORT ?? 8080);
// The headers an application forwards to keep one trace (Istio's list, plus W3C tracestate).
const PROPAGATED = ['x-request-id', 'traceparent', 'tracestate', 'b3', 'x-b3-traceid', 'x-b3-spanid',
  'x-b3-parentspanid', 'x-b3-sampled', 'x-b3-flags'];

function pick(headers) {
  const out = {};
  for (const name of PROPAGATED) if (headers[name] !== undefined) out[name] = headers[name];
  return out;
}

function callBackend(headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(process.env.BACKEND_URL, {
      headers: { ...pick(headers), host: process.env.BACKEND_HOST ?? 'backend' },
      timeout: 5000,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('backend timed out')));
    req.on('error', reject);
    req.end();
  });
}

http.createServer(async (req, res) => {
  const seen = { role: ROLE, received: req.headers };
  try {
    if (ROLE === 'frontend') {
      const backend = await callBackend(req.headers);
      seen.backend = { status: backend.status, body: JSON.parse(backend.body) };
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(seen, null, 2));
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ role: ROLE, error: String(err) }));
  }
}).listen(PORT, '0.0.0.0', () => console.log(`${ROLE} listening on :${PORT}`));
