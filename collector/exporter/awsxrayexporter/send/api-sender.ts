/**
 * Sends documents with PutTraceSegments (@aws-sdk/client-xray: SigV4, default credential chain —
 * env, IRSA web identity, EKS Pod Identity, instance profile — or an assumed `role_arn`).
 * Unlike the X-Ray daemon and the contrib exporter, nothing the service did not take is just
 * logged: UnprocessedTraceSegments, throttling, 5xx, network and credential errors come back as
 * "retry these spans" for the sending queue; only requests the service refuses as malformed are
 * permanent.
 */
import { Agent } from 'node:https';
import { PutTraceSegmentsCommand, XRayClient, type XRayClientConfig } from '@aws-sdk/client-xray';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { XrayDocument } from '../translator/translate.js';
import { chunkDocuments } from './chunks.js';

export interface ApiSenderOptions {
  region?: string;
  endpoint?: string;
  roleArn?: string;
  externalId?: string;
  noVerifySsl: boolean;
  timeoutMs: number;
  /** Tests: fixed credentials instead of the default chain. */
  credentials?: XRayClientConfig['credentials'];
  /** Calls in flight at once for one batch. */
  concurrency?: number;
  /** Where the SDK's own warnings go (request-timeout and socket-capacity warnings). */
  warn?: (message: string) => void;
}

/**
 * The SDK's logger: warnings only. The SDK's logger middleware builds its per-call info/error
 * records (a filtered copy of the 50 documents in the input) only when the logger has an `info`
 * or `error` method (`logger?.info?.(…)`), so leaving them out skips that work on every call
 * (measured −3…5% CPU per PutTraceSegments call); the SDK's default NoOpLogger has them all and
 * pays it for nothing. Failed calls are already reported by the sending queue, once per batch.
 * `debug` stays (a no-op): the credential providers call `logger?.debug(…)` without checking it.
 */
export function sdkWarnLogger(warn: (message: string) => void = () => {}): NonNullable<XRayClientConfig['logger']> {
  return { debug: () => {}, warn: (...args: unknown[]) => warn(args.map(String).join(' ')) } as unknown as NonNullable<XRayClientConfig['logger']>;
}

/** What happened to the documents of one send. */
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

export function createXrayClient(o: ApiSenderOptions): XRayClient {
  const cfg: XRayClientConfig = {
    // The sending queue retries with backoff; SDK-level retries would multiply attempts and hide them.
    maxAttempts: 1,
    // Resolve the middleware stack once per command class instead of on every call (the SDK's
    // own option): measured −15% CPU per PutTraceSegments call. It applies only to calls made
    // without per-call options, so sendChunk passes no abortSignal (see there).
    cacheMiddleware: true,
    logger: sdkWarnLogger(o.warn),
    requestHandler: {
      requestTimeout: o.timeoutMs > 0 ? o.timeoutMs : undefined,
      // Without it this SDK's requestTimeout only logs a warning and a hung call keeps its socket
      // until shutdown (the sending queue has long given up on the attempt).
      throwOnRequestTimeout: true,
      httpsAgent: new Agent({ keepAlive: true, rejectUnauthorized: !o.noVerifySsl }),
    },
  };
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

export class ApiSender implements DocumentSender {
  readonly client: XRayClient;
  private readonly concurrency: number;

  constructor(opts: ApiSenderOptions, client?: XRayClient) {
    this.client = client ?? createXrayClient(opts);
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  /** Fails start-up with a clear message when no region can be found (instead of retrying forever). */
  async start(): Promise<void> {
    try {
      await this.client.config.region();
    } catch (err) {
      throw new Error(`awsxray: no AWS region: set exporters.awsxray.region or AWS_REGION (${(err as Error).message})`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  async send(docs: readonly XrayDocument[], signal: AbortSignal): Promise<SendOutcome> {
    const outcome: SendOutcome = { retry: [], permanent: new Map(), unprocessed: 0 };
    const chunks = chunkDocuments(docs);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next++];
        if (signal.aborted) {
          outcome.retry.push(...chunk);
          continue;
        }
        await this.sendChunk(chunk, signal, outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunks.length) }, worker));
    return outcome;
  }

  private async sendChunk(chunk: XrayDocument[], signal: AbortSignal, outcome: SendOutcome): Promise<void> {
    try {
      // No per-call abortSignal (it would disable cacheMiddleware): a call is bounded by the
      // client's requestTimeout (= `timeout`, the same bound the sending queue puts on the
      // attempt), and close() destroys the connections of calls still running at shutdown.
      // `signal` still stops this batch's remaining calls (worker loop).
      const res = await this.client.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: chunk.map((d) => d.json) }));
      const unprocessed = res.UnprocessedTraceSegments ?? [];
      if (unprocessed.length === 0) return;
      // Map the unprocessed IDs back to this call's documents (a span ID may repeat in a batch).
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
    } catch (err) {
      const c = classifyXrayError(err);
      if (c.retryable) {
        outcome.retry.push(...chunk);
        outcome.lastError = c.detail;
        if (c.retryAfterMs !== undefined) outcome.retryAfterMs = Math.max(outcome.retryAfterMs ?? 0, c.retryAfterMs);
      } else {
        const p = outcome.permanent.get(c.reason);
        if (p) p.docs.push(...chunk);
        else outcome.permanent.set(c.reason, { docs: [...chunk], detail: c.detail });
      }
    }
  }
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  $retryable?: { throttling?: boolean };
}

const CREDENTIAL_ERRORS = new Set([
  'ExpiredTokenException', 'ExpiredToken', 'AccessDeniedException', 'UnrecognizedClientException',
  'InvalidSignatureException', 'SignatureDoesNotMatch', 'RequestExpired', 'CredentialsProviderError',
  'IncompleteSignatureException', 'MissingAuthenticationTokenException',
]);

/**
 * Retryable: throttling (ThrottledException / 429), 5xx, network errors and timeouts, and
 * credential errors (tokens expire and IAM changes propagate: the retry budget bounds the wait).
 * Permanent: every other 4xx — the request itself is wrong (InvalidRequestException, 413).
 */
export function classifyXrayError(err: unknown): { retryable: boolean; reason: string; detail: string; retryAfterMs?: number } {
  const e = (err ?? {}) as SdkErrorShape;
  const name = e.name ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  const retryAfter = retryAfterMs(e.$response?.headers?.['retry-after']);
  if (name === 'ThrottledException' || status === 429 || e.$retryable?.throttling) {
    return { retryable: true, reason: 'throttled', detail, retryAfterMs: retryAfter };
  }
  if (status !== undefined && status >= 500) return { retryable: true, reason: 'server_error', detail, retryAfterMs: retryAfter };
  if (CREDENTIAL_ERRORS.has(name) || status === 401 || status === 403) return { retryable: true, reason: 'credentials', detail };
  if (status !== undefined && status >= 400) return { retryable: false, reason: `xray_${status}`, detail };
  // No HTTP answer at all: connection refused/reset, DNS, timeout, abort — worth retrying.
  return { retryable: true, reason: 'network', detail };
}

function retryAfterMs(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : undefined;
}
