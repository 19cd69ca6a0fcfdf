/**
 * A fake OTLP/HTTP backend on 127.0.0.1 (port 0), plain or TLS, that records each request
 * (headers, raw and decoded body) and answers as a test tells it to.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import zlib from 'node:zlib';
import type { TraceData } from '../../pdata/model.js';
import { decodeTraceRequest } from '../../pdata/otlp-proto.js';

export interface HttpAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  wireBytes: number;
  td: TraceData;
  at: number;
  accepted: boolean;
  clientCertSubject?: string;
  remotePort: number;
}

export class FakeHttpBackend {
  readonly requests: ReceivedRequest[] = [];
  answer: (req: ReceivedRequest, index: number) => HttpAnswer = () => ({ status: 200 });
  private server?: http.Server;
  port = 0;

  constructor(private readonly tls?: https.ServerOptions) {}

  async start(port = 0): Promise<number> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const wire = Buffer.concat(chunks);
        const raw = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(wire) : wire;
        const peer = (req.socket as TLSSocket).getPeerCertificate?.();
        const rec: ReceivedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          wireBytes: wire.length,
          td: decodeTraceRequest(raw),
          at: Date.now(),
          accepted: false,
          clientCertSubject: peer && peer.subject ? String(peer.subject.CN) : undefined,
          remotePort: req.socket.remotePort ?? 0,
        };
        const a = this.answer(rec, this.requests.length);
        rec.accepted = a.status >= 200 && a.status < 300;
        this.requests.push(rec);
        res.writeHead(a.status, { 'content-type': 'application/x-protobuf', ...a.headers });
        res.end(a.body ?? '');
      });
    };
    const server = this.tls ? https.createServer(this.tls, handler) : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  spanIds(): string[] {
    const out: string[] = [];
    for (const r of this.requests) {
      if (r.accepted) for (const rs of r.td.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) out.push(Buffer.from(s.spanId).toString('hex'));
    }
    return out;
  }
}
