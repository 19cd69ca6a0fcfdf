/**
 * Test fixtures shared by the OTLP exporters' tests: a self-signed CA with server and client
 * certificates made by the `openssl` CLI, and a fake OTLP/gRPC backend on 127.0.0.1 (port 0)
 * that records what arrives and fails on demand.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { decodeTraceRequest, encodeTraceResponse, type PartialSuccess } from '../../pdata/otlp-proto.js';
import type { TraceData } from '../../pdata/model.js';
import { encodeRpcStatus } from '../../receiver/internal/rpc-status.js';
import { rawTraceServiceDefinition } from '../../pdata/otlp-grpc-service.js';

export interface TestCerts {
  dir: string;
  caFile: string;
  serverCert: Buffer;
  serverKey: Buffer;
  clientCertFile: string;
  clientKeyFile: string;
  ca: Buffer;
  /** A second, unrelated CA: a client trusting only it must refuse the server. */
  otherCaFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** CA → server cert (SAN localhost, 127.0.0.1) and client cert, all in a fresh temp dir. */
export function makeCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshtrace-tls-'));
  const ca = (name: string) => openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], dir);
  ca('ca');
  ca('otherca');
  const leaf = (name: string, ext: string) => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`], dir);
  };
  leaf('server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => fs.readFileSync(path.join(dir, f));
  return {
    dir,
    caFile: path.join(dir, 'ca.crt'),
    ca: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCertFile: path.join(dir, 'client.crt'),
    clientKeyFile: path.join(dir, 'client.key'),
    otherCaFile: path.join(dir, 'otherca.crt'),
  };
}

/** What the fake answers to one Export call. */
export type GrpcAnswer =
  | { ok: true; partial?: PartialSuccess }
  | { ok: false; code: number; details?: string; retryDelaySeconds?: number };

export interface ReceivedCall {
  td: TraceData;
  metadata: grpc.Metadata;
  at: number;
  /** Whether the fake answered OK (the spans count as delivered). */
  accepted: boolean;
}


export class FakeGrpcBackend {
  readonly calls: ReceivedCall[] = [];
  /** Decides each answer; default: accept. */
  answer: (call: ReceivedCall, index: number) => GrpcAnswer = () => ({ ok: true });
  private server?: grpc.Server;
  port = 0;

  constructor(private readonly creds: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()) {}

  async start(port = 0): Promise<number> {
    const server = new grpc.Server();
    server.addService(rawTraceServiceDefinition, {
      export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        const rec: ReceivedCall = { td: decodeTraceRequest(call.request), metadata: call.metadata, at: Date.now(), accepted: false };
        const a = this.answer(rec, this.calls.length);
        rec.accepted = a.ok;
        this.calls.push(rec);
        if (a.ok) return cb(null, Buffer.from(encodeTraceResponse(a.partial)));
        const md = new grpc.Metadata();
        if (a.retryDelaySeconds !== undefined) {
          md.set('grpc-status-details-bin', encodeRpcStatus({ code: a.code, message: a.details ?? '', retryDelaySeconds: a.retryDelaySeconds }));
        }
        cb({ code: a.code, details: a.details ?? 'fake failure', metadata: md }, null);
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, this.creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
    return this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) s.forceShutdown();
  }

  /** Span IDs (hex) of every span in the calls it accepted. */
  spanIds(): string[] {
    const out: string[] = [];
    for (const c of this.calls) {
      if (c.accepted) for (const rs of c.td.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) out.push(Buffer.from(s.spanId).toString('hex'));
    }
    return out;
  }
}
