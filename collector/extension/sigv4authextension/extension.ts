/**
 * The sigv4auth extension: signs every outgoing HTTP request attempt with AWS Signature V4
 * (@smithy/signature-v4, the AWS SDK's own signer) over the exact body sent — compressed, if the
 * exporter compresses — with credentials from credentials.ts. A retry is signed again (fresh
 * date, current credentials). HTTP only: the config loader refuses it on the gRPC `otlp` exporter.
 */
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CreateSettings } from '../../component/component.js';
import type { HttpClientAuthenticator, HttpRequestAuthenticator, HttpRequestToAuthenticate } from '../extensionauth/client.js';
import type { Sigv4AuthConfig } from './config.js';
import { awsCredentialProvider, sdkDefaultRegion, type CredentialProvider, type SdkLogger } from './credentials.js';
import { inferAwsDestination } from './destination.js';

/** How long start() waits for the first credentials before going on without them. */
const FIRST_CREDENTIALS_WAIT_MS = 5_000;

export interface Sigv4AuthOptions {
  /** Tests: another credential source than the SDK chain. */
  credentials?: CredentialProvider;
}

/** The parts of a URL a signature covers, as the signer takes them. */
interface SigningTarget {
  url: URL;
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  query: Record<string, string | string[]>;
  /** What node:http sends as `host` (URL.host omits a default port); it must be signed. */
  host: string;
}

function signingTarget(url: URL): SigningTarget {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { url, protocol: url.protocol, hostname: url.hostname, port: url.port === '' ? undefined : Number(url.port), path: url.pathname, query, host: url.host };
}

class Sigv4RequestAuthenticator implements HttpRequestAuthenticator {
  /** The destination's parts, worked out once: every request of an exporter goes to the same URL. */
  private readonly target: SigningTarget;

  constructor(
    private readonly signer: SignatureV4,
    readonly awsSigningService: string,
    url: URL,
  ) {
    this.target = signingTarget(url);
  }

  async authenticate(req: HttpRequestToAuthenticate): Promise<Record<string, string>> {
    const t = req.url === this.target.url ? this.target : signingTarget(req.url);
    const signed = await this.signer.sign({
      method: req.method,
      protocol: t.protocol,
      hostname: t.hostname,
      port: t.port,
      path: t.path,
      query: t.query,
      headers: { ...req.headers, host: t.host },
      body: req.body,
    });
    return signed.headers;
  }
}

export class Sigv4AuthExtension implements HttpClientAuthenticator {
  private readonly credentials: CredentialProvider;
  private readonly sdkLogger: SdkLogger;

  constructor(
    private readonly cfg: Sigv4AuthConfig,
    private readonly settings: CreateSettings,
    opts: Sigv4AuthOptions = {},
  ) {
    const log = settings.logger;
    this.sdkLogger = {
      debug: () => {},
      info: () => {},
      warn: (...args) => log.warn({ extension: settings.id }, `aws sdk: ${args.map(String).join(' ')}`),
      error: (...args) => log.warn({ extension: settings.id }, `aws sdk: ${args.map(String).join(' ')}`),
    };
    this.credentials = opts.credentials ?? awsCredentialProvider(cfg.assumeRole, this.sdkLogger);
  }

  /**
   * Fetches the first credentials so a missing role shows at start in the log. Not fatal: IMDS,
   * the Pod Identity agent or STS may come up after the collector; requests are retried meanwhile.
   */
  async start(): Promise<void> {
    const log = this.settings.logger;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`none within ${FIRST_CREDENTIALS_WAIT_MS / 1000}s`)), FIRST_CREDENTIALS_WAIT_MS);
      timer.unref();
    });
    try {
      const c = await Promise.race([this.credentials(), timeout]);
      log.info({ extension: this.settings.id, access_key_id: c.accessKeyId, expiration: c.expiration?.toISOString(), assume_role: this.cfg.assumeRole?.arn }, 'AWS credentials found');
    } catch (err) {
      log.error(
        { extension: this.settings.id, error: (err as Error).message },
        'no AWS credentials yet: requests will fail (and be retried) until the credential chain finds some (IRSA, Pod Identity, env, profile)',
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async shutdown(): Promise<void> {}

  async httpAuthenticator(url: URL, path: string): Promise<HttpRequestAuthenticator> {
    const inferred = inferAwsDestination(url.hostname);
    const service = this.cfg.service ?? inferred.service;
    const region = this.cfg.region ?? inferred.region ?? (await sdkDefaultRegion());
    const ext = `extensions.${this.settings.id}`;
    if (service === undefined) {
      throw new Error(`${path}: ${ext} cannot tell the AWS service to sign for from ${url.host}: set ${ext}.service (e.g. xray)`);
    }
    if (region === undefined) {
      throw new Error(`${path}: ${ext} cannot tell the AWS region from ${url.host}: set ${ext}.region or AWS_REGION`);
    }
    this.settings.logger.info({ extension: this.settings.id, endpoint: url.origin, aws_service: service, aws_region: region }, 'signing requests with SigV4');
    const signer = new SignatureV4({ service, region, credentials: this.credentials, sha256: Sha256 });
    return new Sigv4RequestAuthenticator(signer, service, url);
  }
}
