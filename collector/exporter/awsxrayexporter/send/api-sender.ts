/**
 * Sends documents with PutTraceSegments. Everything AWS-specific comes from the AWS SDK: the
 * XRayClient's resolved configuration (region from config/env/profile, endpoint from the SDK's
 * endpoint rules or AWS_ENDPOINT_URL_XRAY, the default credential chain — env, IRSA web identity,
 * EKS Pod Identity, profile, instance profile — or an assumed `role_arn`, memoised and refreshed
 * before expiry) and its SigV4 signer (@smithy/signature-v4 with the client's SHA-256). Only the
 * call itself is ours: one signed POST /TraceSegments on a keep-alive agent. The SDK's command
 * path costs ~340 µs of middleware per call that none of its options turn off (measured,
 * docs/exporter-xray.md "Throughput"); the body, signature and answer are what it would produce.
 *
 * Unlike the X-Ray daemon and the contrib exporter, nothing the service did not take is just
 * logged: each call of a batch ends in exactly one of accepted, retry (unprocessed segments,
 * throttling, 5xx, network errors, timeouts, credential errors) or refused (other 4xx). A call
 * that outlives `timeout` is abandoned alone: calls of the same batch that were accepted stay
 * accepted and are never sent again.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { HttpRequest } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import { XRayClient, type XRayClientConfig } from '@aws-sdk/client-xray';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { XrayDocument } from '../translator/translate.js';
import { chunkDocuments } from './chunks.js';
import { classifyXrayAnswer, classifyXrayError, type XrayErrorClass } from './classify.js';

export { classifyXrayAnswer, classifyXrayError } from './classify.js';

export interface ApiSenderOptions {
  region?: string;
  endpoint?: string;
  roleArn?: string;
  externalId?: string;
  noVerifySsl: boolean;
  /** Per call (0 = none). */
  timeoutMs: number;
  /** Tests: fixed credentials instead of the default chain. */
  credentials?: XRayClientConfig['credentials'];
  /** Calls in flight at once for one batch. */
  concurrency?: number;
  /** Where the SDK's own warnings go (credential providers). */
  warn?: (message: string) => void;
}

/**
 * The SDK's logger: warnings only. The credential providers call `logger?.debug(…)` without
 * checking it, so `debug` stays (a no-op).
 */
export function sdkWarnLogger(warn: (message: string) => void = () => {}): NonNullable<XRayClientConfig['logger']> {
  return { debug: () => {}, warn: (...args: unknown[]) => warn(args.map(String).join(' ')) } as unknown as NonNullable<XRayClientConfig['logger']>;
}

/** What happened to the documents of one send. Every document is in exactly one place. */
export interface SendOutcome {
  /** Documents to send again (unprocessed, throttled, transient failures). */
  retry: XrayDocument[];
  /** Documents the service refused for good, by reason. */
  permanent: Map<string, { docs: XrayDocument[]; detail: string }>;
  /** The longest back-off any answer asked for. */
  retryAfterMs?: number;
  /** Last transient error, for the log. */
  lastError?: string;
  unprocessed: number;
}

export interface DocumentSender {
  send(docs: readonly XrayDocument[], signal: AbortSignal): Promise<SendOutcome>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The client whose resolved configuration (region, endpoint, credentials, SHA-256) the sender uses. */
export function createXrayClient(o: ApiSenderOptions): XRayClient {
  const cfg: XRayClientConfig = { maxAttempts: 1, logger: sdkWarnLogger(o.warn) };
  if (o.region) cfg.region = o.region;
  if (o.endpoint) cfg.endpoint = o.endpoint;
  if (o.credentials) cfg.credentials = o.credentials;
  else if (o.roleArn) {
    // STS AssumeRole on top of the default chain, refreshed before expiry by the provider.
    cfg.credentials = fromTemporaryCredentials({
      params: { RoleArn: o.roleArn, RoleSessionName: 'meshtrace-collector', ...(o.externalId ? { ExternalId: o.externalId } : {}) },
      clientConfig: o.region ? { region: o.region } : undefined,
    });
  }
  return new XRayClient(cfg);
}

interface Target {
  url: URL;
  request: typeof http.request;
  agent: http.Agent;
  signer: SignatureV4;
}

interface CallAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const USER_AGENT = 'meshtrace-collector awsxray';

export class ApiSender implements DocumentSender {
  readonly client: XRayClient;
  private readonly concurrency: number;
  private target?: Target;

  constructor(
    private readonly opts: ApiSenderOptions,
    client?: XRayClient,
  ) {
    this.client = client ?? createXrayClient(opts);
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  /** Resolves region, endpoint and signer once; fails start-up with a clear message without a region. */
  async start(): Promise<void> {
    let region: string;
    try {
      region = await this.client.config.region();
    } catch (err) {
      throw new Error(`awsxray: no AWS region: set exporters.awsxray.region or AWS_REGION (${(err as Error).message})`);
    }
    const url = await this.resolveEndpoint(region);
    const isHttps = url.protocol === 'https:';
    const agent = isHttps
      ? new https.Agent({ keepAlive: true, maxSockets: 50, rejectUnauthorized: !this.opts.noVerifySsl })
      : new http.Agent({ keepAlive: true, maxSockets: 50 });
    const signer = new SignatureV4({
      credentials: this.client.config.credentials,
      region,
      service: 'xray',
      sha256: this.client.config.sha256,
      uriEscapePath: true,
    });
    this.target = { url, request: isHttps ? https.request : http.request, agent, signer };
  }

  async close(): Promise<void> {
    this.target?.agent.destroy();
    this.client.destroy();
  }

  async send(docs: readonly XrayDocument[], signal: AbortSignal): Promise<SendOutcome> {
    if (!this.target) await this.start();
    const outcome: SendOutcome = { retry: [], permanent: new Map(), unprocessed: 0 };
    const chunks = chunkDocuments(docs);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        if (signal.aborted) {
          for (const d of chunk) outcome.retry.push(d);
          continue;
        }
        await this.sendChunk(chunk, signal, outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunks.length) }, worker));
    return outcome;
  }

  private async sendChunk(chunk: XrayDocument[], signal: AbortSignal, outcome: SendOutcome): Promise<void> {
    let c: XrayErrorClass;
    try {
      const answer = await this.call(chunk, signal);
      if (answer.status >= 200 && answer.status < 300) {
        collectUnprocessed(chunk, answer.body, outcome);
        return;
      }
      c = classifyXrayAnswer(answer.status, answer.headers, answer.body);
    } catch (err) {
      c = classifyXrayError(err);
    }
    if (c.retryable) {
      for (const d of chunk) outcome.retry.push(d);
      outcome.lastError = c.detail;
      if (c.retryAfterMs !== undefined) outcome.retryAfterMs = Math.max(outcome.retryAfterMs ?? 0, c.retryAfterMs);
    } else {
      const p = outcome.permanent.get(c.reason);
      if (p) for (const d of chunk) p.docs.push(d);
      else outcome.permanent.set(c.reason, { docs: [...chunk], detail: c.detail });
    }
  }

  /** One signed PutTraceSegments call, bounded by `timeout` and the batch's signal. */
  private async call(chunk: XrayDocument[], signal: AbortSignal): Promise<CallAnswer> {
    const t = this.target!;
    const body = putTraceSegmentsBody(chunk);
    const port = t.url.port ? Number(t.url.port) : undefined;
    const request = new HttpRequest({
      method: 'POST',
      protocol: t.url.protocol,
      hostname: t.url.hostname,
      port,
      path: `${t.url.pathname.replace(/\/$/, '')}/TraceSegments`,
      headers: {
        host: t.url.host,
        'content-type': 'application/json',
        'content-length': String(body.length),
        'user-agent': USER_AGENT,
        // The payload's SHA-256, in one synchronous call over the body about to be sent. The SDK
        // signer takes a given x-amz-content-sha256 as the payload hash (as it does for S3) and
        // signs everything else; it is the header the signer adds itself by default (applyChecksum), so
        // the request is the same. Through the signer's own hash path (a Hash per call, copied
        // before digest, hex built in JS, behind several awaits) the same call cost ~6% more
        // collector CPU in bench:export's awsxray scenario.
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      },
      body,
    });
    const signed = await t.signer.sign(request);
    return new Promise<CallAnswer>((resolve, reject) => {
      const req = t.request({
        protocol: t.url.protocol,
        hostname: t.url.hostname,
        port,
        method: 'POST',
        path: signed.path,
        headers: signed.headers,
        agent: t.agent,
      });
      let timer: NodeJS.Timeout | undefined;
      const fail = (e: Error) => {
        cleanup();
        req.destroy(e);
        reject(e);
      };
      const onAbort = () => fail(Object.assign(new Error('the batch was aborted (shutdown deadline)'), { name: 'AbortError' }));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      if (this.opts.timeoutMs > 0) {
        timer = setTimeout(() => fail(Object.assign(new Error(`PutTraceSegments timed out after ${this.opts.timeoutMs}ms (timeout)`), { name: 'TimeoutError' })), this.opts.timeoutMs);
      }
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) => {
        cleanup();
        reject(e);
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', (e) => {
          cleanup();
          reject(e);
        });
        res.on('end', () => {
          cleanup();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') });
        });
      });
      req.end(body);
    });
  }

  private async resolveEndpoint(region: string): Promise<URL> {
    const cfg = this.client.config as unknown as {
      endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>;
      serviceConfiguredEndpoint?: () => Promise<string | undefined>;
      endpointProvider: (p: Record<string, unknown>) => { url: URL };
      useFipsEndpoint: () => Promise<boolean>;
      useDualstackEndpoint: () => Promise<boolean>;
    };
    if (this.opts.endpoint) {
      const e = await cfg.endpoint!();
      return new URL(`${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ''}${e.path}`);
    }
    const configured = await cfg.serviceConfiguredEndpoint?.();
    if (configured) return new URL(configured);
    return cfg.endpointProvider({ Region: region, UseFIPS: await cfg.useFipsEndpoint(), UseDualStack: await cfg.useDualstackEndpoint() }).url;
  }
}

const BODY_START = Buffer.from('{"TraceSegmentDocuments":[');
const BODY_END = Buffer.from(']}');
const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * `{"TraceSegmentDocuments":["…","…"]}`: the documents are already escaped as JSON string
 * content (document-writer.ts), so the body is their bytes copied between quotes and commas.
 */
export function putTraceSegmentsBody(docs: ReadonlyArray<Pick<XrayDocument, 'data'>>): Buffer {
  let size = BODY_START.length + BODY_END.length + Math.max(0, docs.length * 3 - 1);
  for (let i = 0; i < docs.length; i++) size += docs[i]!.data.length;
  const body = Buffer.allocUnsafe(size);
  let p = BODY_START.copy(body, 0);
  for (let i = 0; i < docs.length; i++) {
    if (i > 0) body[p++] = COMMA;
    body[p++] = QUOTE;
    p += docs[i]!.data.copy(body, p);
    body[p++] = QUOTE;
  }
  BODY_END.copy(body, p);
  return body;
}

/** Maps UnprocessedTraceSegments back to this call's documents (a span ID may repeat in a batch). */
function collectUnprocessed(chunk: XrayDocument[], body: string, outcome: SendOutcome): void {
  let unprocessed: Array<{ Id?: string; ErrorCode?: string; Message?: string }> = [];
  try {
    unprocessed = (JSON.parse(body || '{}') as { UnprocessedTraceSegments?: typeof unprocessed }).UnprocessedTraceSegments ?? [];
  } catch {
    // A 2xx whose body is not JSON: the service took the call; nothing names a segment to retry.
  }
  if (unprocessed.length === 0) return;
  const byId = new Map<string, XrayDocument[]>();
  for (const d of chunk) {
    const list = byId.get(d.id);
    if (list) list.push(d);
    else byId.set(d.id, [d]);
  }
  for (const u of unprocessed) {
    const docs = u.Id !== undefined ? byId.get(u.Id) : undefined;
    if (!docs) continue;
    byId.delete(u.Id!);
    for (const d of docs) outcome.retry.push(d);
    outcome.unprocessed += docs.length;
    outcome.lastError = `UnprocessedTraceSegments: ${u.ErrorCode ?? '?'} ${u.Message ?? ''}`.trim();
  }
}
