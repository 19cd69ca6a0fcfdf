/**
 * A local fake of the X-Ray PutTraceSegments API on 127.0.0.1 (node:http, port 0) for tests.
 * It checks every request's SigV4 signature independently of the AWS SDK — it rebuilds the
 * canonical request and the signing key with node:crypto from the known test credentials — and
 * answers like the service: `{"UnprocessedTraceSegments": [...]}`, or ThrottledException (429),
 * or any error, on demand.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDMESHTRACETEST01', secretAccessKey: 'meshtrace/test/secret/key/0123456789abcdef' };
export const TEST_REGION = 'us-west-2';

export interface Call {
  documents: string[];
  accessKeyId?: string;
  securityToken?: string;
  status: number;
  signatureOk: boolean;
  signatureProblem?: string;
}

type Behaviour =
  | { kind: 'throttle'; status?: number; type?: string }
  | { kind: 'unprocess'; count: number }
  | { kind: 'error'; status: number; type: string }
  | { kind: 'hang' }
  | { kind: 'slow'; ms: number };

/**
 * Random trouble on every call, each with its probability (`random` makes it repeatable):
 * `unprocessed` is the share of a call's documents returned as UnprocessedTraceSegments; the
 * others are shares of calls answered 429 ThrottledException, 400 ThrottlingException, 500, or
 * only after `slowMs` — a slow call whose client has given up by then is not processed (the
 * service never saw the end of it), so it cannot be the source of duplicates.
 */
export interface Chaos {
  unprocessed?: number;
  throttle429?: number;
  throttle400?: number;
  error500?: number;
  slow?: number;
  slowMs?: number;
  random: () => number;
}

/** An HTTP server on a free 127.0.0.1 port that passes every request to handle(). */
export abstract class LocalHttpFake {
  private server?: Server;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export class FakeXray extends LocalHttpFake {
  readonly calls: Call[] = [];
  /** Slow calls still waiting to answer (their status is decided when they wake). */
  slowInFlight = 0;
  /** Documents accepted (not returned as unprocessed), in arrival order. */
  readonly accepted: string[] = [];
  private queue: Behaviour[] = [];
  /** Access key ID → secret of every credential the fake accepts. */
  private readonly secrets = new Map<string, string>();

  constructor(
    creds = TEST_CREDENTIALS,
    private readonly region = TEST_REGION,
  ) {
    super();
    this.secrets.set(creds.accessKeyId, creds.secretAccessKey);
  }

  /** Accepts one more credential (e.g. temporary credentials from a fake STS). */
  allow(accessKeyId: string, secretAccessKey: string): void {
    this.secrets.set(accessKeyId, secretAccessKey);
  }

  private chaos?: Chaos;
  /** Documents accepted more than once (by segment ID), for exactly-once checks. */
  duplicates = 0;
  private readonly seen = new Set<string>();

  /** The next `n` calls answer 429 ThrottledException (or the given status and error type). */
  throttleNext(n = 1, status = 429, type = 'ThrottledException'): void {
    for (let i = 0; i < n; i++) this.queue.push({ kind: 'throttle', status, type });
  }
  /** The next call is answered only after `ms`, and processed only if the client still waits. */
  slowNext(ms: number): void {
    this.queue.push({ kind: 'slow', ms });
  }
  /** Random trouble on every call from now on (undefined: none). */
  setChaos(chaos: Chaos | undefined): void {
    this.chaos = chaos;
  }
  /** The next call reports its first `count` documents as unprocessed. */
  unprocessNext(count: number): void {
    this.queue.push({ kind: 'unprocess', count });
  }
  errorNext(status: number, type: string, n = 1): void {
    for (let i = 0; i < n; i++) this.queue.push({ kind: 'error', status, type });
  }
  /** The next call never gets an answer (timeouts). */
  hangNext(): void {
    this.queue.push({ kind: 'hang' });
  }

  /** Forgets the answers queued with throttleNext/errorNext/... that were not used yet. */
  clearQueued(): void {
    this.queue.length = 0;
  }

  /** Forgets which segment IDs were seen (between tests). */
  forget(): void {
    this.seen.clear();
  }

  acceptedIds(): string[] {
    return this.accepted.map((d) => (JSON.parse(d) as { id: string }).id);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const sig = verifySigV4(req, body, this.secrets, this.region, 'xray');
    let documents: string[] = [];
    try {
      documents = (JSON.parse(body.toString('utf8')) as { TraceSegmentDocuments?: string[] }).TraceSegmentDocuments ?? [];
    } catch {
      /* answered below */
    }
    const call: Call = {
      documents,
      status: 200,
      signatureOk: sig.ok,
      signatureProblem: sig.problem,
      accessKeyId: sig.accessKeyId,
      securityToken: req.headers['x-amz-security-token'] as string | undefined,
    };
    this.calls.push(call);
    const reply = (status: number, obj: unknown, type?: string) => {
      call.status = status;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (type) headers['x-amzn-errortype'] = type;
      res.writeHead(status, headers).end(JSON.stringify(obj));
    };
    if (req.method !== 'POST' || req.url !== '/TraceSegments') return reply(404, { message: `no route ${req.method} ${req.url}` }, 'UnknownOperationException');
    if (!sig.ok) return reply(403, { message: `signature check failed: ${sig.problem}` }, 'InvalidSignatureException');
    if (documents.length === 0 || documents.length > 50) return reply(400, { message: `expected 1-50 documents, got ${documents.length}` }, 'InvalidRequestException');
    let b = this.queue.shift() ?? this.chaosBehaviour(documents.length);
    if (b?.kind === 'hang') return; // never answer
    if (b?.kind === 'slow') {
      const ms = b.ms;
      this.slowInFlight++;
      await new Promise((r) => setTimeout(r, ms));
      // The client's timeout may fire in the same timers phase as this one (client and fake
      // share the test's event loop): let the poll phase deliver its close before deciding.
      await new Promise((r) => setImmediate(r));
      this.slowInFlight--;
      if (req.socket.destroyed || res.destroyed) {
        call.status = 0; // the client gave up: not processed
        return;
      }
      b = undefined;
    }
    if (b?.kind === 'throttle') return reply(b.status ?? 429, { message: 'Rate exceeded' }, b.type ?? 'ThrottledException');
    if (b?.kind === 'error') return reply(b.status, { message: `injected ${b.type}` }, b.type);
    const unprocessedIdx = new Set<number>();
    if (b?.kind === 'unprocess') for (let i = 0; i < Math.min(b.count, documents.length); i++) unprocessedIdx.add(i);
    else if (this.chaos?.unprocessed) documents.forEach((_, i) => this.chaos!.random() < this.chaos!.unprocessed! && unprocessedIdx.add(i));
    const unprocessed: string[] = [];
    documents.forEach((d, i) => {
      if (unprocessedIdx.has(i)) return void unprocessed.push(d);
      this.accepted.push(d);
      const id = (JSON.parse(d) as { id: string }).id;
      if (this.seen.has(id)) this.duplicates++;
      this.seen.add(id);
    });
    reply(200, {
      UnprocessedTraceSegments: unprocessed.map((d) => ({ Id: (JSON.parse(d) as { id: string }).id, ErrorCode: 'ThrottledException', Message: 'try again' })),
    });
  }

  private chaosBehaviour(docs: number): Behaviour | undefined {
    const c = this.chaos;
    if (!c || docs === 0) return undefined;
    let r = c.random();
    const pick = (p: number | undefined) => {
      if (!p) return false;
      if (r < p) return true;
      r -= p;
      return false;
    };
    if (pick(c.throttle429)) return { kind: 'throttle', status: 429, type: 'ThrottledException' };
    if (pick(c.throttle400)) return { kind: 'throttle', status: 400, type: 'ThrottlingException' };
    if (pick(c.error500)) return { kind: 'error', status: 500, type: 'InternalFailure' };
    if (pick(c.slow)) return { kind: 'slow', ms: c.slowMs ?? 1000 };
    return undefined;
  }
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Derived signing keys (one per secret and day, as signers cache them): a benchmark's fake endpoint checks thousands of requests. */
const signingKeys = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  let key = signingKeys.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (signingKeys.size >= 64) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

/**
 * SigV4 check (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-create-signed-request.html):
 * canonical request → string to sign → HMAC chain from the secret → compare with the header.
 */
export function verifySigV4(
  req: IncomingMessage,
  body: Buffer,
  secrets: ReadonlyMap<string, string>,
  region: string,
  service: string,
): { ok: boolean; problem?: string; accessKeyId?: string } {
  const auth = req.headers.authorization ?? '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, problem: `malformed Authorization header: ${auth.slice(0, 80)}` };
  const [, akid, date, scopeRegion, scopeService, signedHeaders, signature] = m;
  const secret = secrets.get(akid);
  if (secret === undefined) return { ok: false, problem: `unknown access key ${akid}` };
  if (scopeRegion !== region) return { ok: false, problem: `scope region ${scopeRegion}, expected ${region}` };
  if (scopeService !== service) return { ok: false, problem: `scope service ${scopeService}, expected ${service}` };
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return { ok: false, problem: 'x-amz-date does not match the credential scope date' };
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return { ok: false, problem: 'host and x-amz-date must be signed' };
  const canonicalHeaders = names
    .map((n) => {
      const v = req.headers[n];
      const value = Array.isArray(v) ? v.join(',') : (v ?? '');
      return `${n}:${String(value).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const url = new URL(req.url ?? '/', 'http://x');
  const query = [...url.searchParams]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .sort()
    .join('&');
  const bodyHash = sha256(body);
  const payloadHash = String(req.headers['x-amz-content-sha256'] ?? bodyHash);
  if (payloadHash !== bodyHash) return { ok: false, problem: 'payload hash mismatch' };
  const canonicalRequest = [req.method, url.pathname, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = signingKey(secret, date, region, service);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature ? { ok: true, accessKeyId: akid } : { ok: false, problem: 'signature mismatch' };
}

export const TEMP_CREDENTIALS = { accessKeyId: 'ASIAMESHTRACETEMP01', secretAccessKey: 'temporary/secret/from/fake/sts', sessionToken: 'FQoGZXIvYXdzEMESHTRACE' };

/**
 * A fake STS for `role_arn`: answers AssumeRole (query protocol, XML) with TEMP_CREDENTIALS after
 * checking the request is signed (service `sts`) with the caller's long-term test credentials.
 */
export class FakeSts extends LocalHttpFake {
  readonly calls: Array<{ roleArn?: string; sessionName?: string; externalId?: string; signatureOk: boolean; problem?: string }> = [];

  constructor(private readonly region = TEST_REGION) {
    super();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const form = new URLSearchParams(body.toString('utf8'));
    const sig = verifySigV4(req, body, new Map([[TEST_CREDENTIALS.accessKeyId, TEST_CREDENTIALS.secretAccessKey]]), this.region, 'sts');
    this.calls.push({
      roleArn: form.get('RoleArn') ?? undefined,
      sessionName: form.get('RoleSessionName') ?? undefined,
      externalId: form.get('ExternalId') ?? undefined,
      signatureOk: sig.ok,
      problem: sig.problem,
    });
    if (!sig.ok || form.get('Action') !== 'AssumeRole') {
      res.writeHead(403, { 'content-type': 'text/xml' }).end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${sig.problem ?? 'unexpected action'}</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
      );
      return;
    }
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
        `<AccessKeyId>${TEMP_CREDENTIALS.accessKeyId}</AccessKeyId><SecretAccessKey>${TEMP_CREDENTIALS.secretAccessKey}</SecretAccessKey>` +
        `<SessionToken>${TEMP_CREDENTIALS.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><AssumedRoleId>AROAMESHTRACE:meshtrace-collector</AssumedRoleId><Arn>${form.get('RoleArn')}/meshtrace-collector</Arn></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>fake-sts-1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  }
}
