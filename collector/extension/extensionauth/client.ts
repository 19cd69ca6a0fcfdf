/**
 * What a client authenticator extension offers the exporters (after otelcol's
 * `extension/extensionauth` package: HTTPClient's RoundTripper and GRPCClient's
 * PerRPCCredentials), and how an exporter finds its own in start().
 *
 *   exporters:
 *     otlphttp: { endpoint: https://xray.us-east-1.amazonaws.com, auth: { authenticator: sigv4auth } }
 *
 * The config loader has already checked that `auth.authenticator` names an enabled extension
 * with the capability the exporter asked for in `extensionRefs` (`client_auth` for HTTP,
 * `grpc_client_auth` for gRPC), so at start the extension is there and of the right kind.
 */
import type { Extension, ExtensionRef, Host } from '../../component/component.js';
import type { ConfigIssues } from '../../config/issues.js';
import { isPlainObject, join, readObject, readString } from '../../config/validate.js';

/** One outgoing HTTP request attempt, as it will go on the wire. */
export interface HttpRequestToAuthenticate {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names; what the exporter sends unless the authenticator adds or replaces some. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes sent (compressed, if the exporter compresses): what a signature covers. */
  readonly body: Uint8Array;
}

/** Authenticates the requests to one destination (one per exporter, made in its start()). */
export interface HttpRequestAuthenticator {
  /**
   * The headers to send for this attempt: the request's own plus the credentials. Called for
   * every attempt, retries included, so a signature is always fresh and covers the body sent.
   */
  authenticate(req: HttpRequestToAuthenticate): Promise<Record<string, string>>;
  /** The AWS service the requests are signed for (sigv4auth), e.g. `xray`; undefined otherwise. */
  readonly awsSigningService?: string;
}

/** A `client_auth` extension (otelcol extensionauth.HTTPClient). */
export interface HttpClientAuthenticator extends Extension {
  /**
   * The authenticator for requests to `url`; resolves what depends on the destination (SigV4's
   * region and service) once, and rejects with a message naming `path` when it cannot.
   */
  httpAuthenticator(url: URL, path: string): Promise<HttpRequestAuthenticator>;
}

/** A `grpc_client_auth` extension (otelcol extensionauth.GRPCClient). */
export interface GrpcClientAuthenticator extends Extension {
  /** Metadata to add to the next call (lower-case keys); read per call, so rotated tokens apply. */
  grpcMetadata(): Record<string, string>;
  /** Refuses plaintext channels, as grpc-go does for PerRPCCredentials that require it. */
  readonly requiresTransportSecurity: boolean;
}

/** `auth: { authenticator: <extension id> }` at `path` (e.g. `exporters.otlphttp.auth`). */
export function readAuthConfig(raw: unknown, path: string, issues: ConfigIssues): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) {
    issues.error(path, 'expected a mapping like { authenticator: sigv4auth }');
    return undefined;
  }
  const o = readObject(raw, path, issues, ['authenticator']);
  if (o.authenticator === undefined || o.authenticator === null) {
    issues.error(join(path, 'authenticator'), 'required: the ID of an authenticator extension (e.g. sigv4auth, bearertokenauth)');
    return undefined;
  }
  return readString(o.authenticator, join(path, 'authenticator'), issues, undefined, { nonEmpty: true });
}

/** The reference an exporter reports in `extensionRefs`, so the loader checks it. */
export function authRef(id: string | undefined, exporterPath: string, capability: 'client_auth' | 'grpc_client_auth'): ExtensionRef[] {
  return id === undefined ? [] : [{ path: join(exporterPath, 'auth.authenticator'), id, capability }];
}

function isHttpClientAuthenticator(ext: Extension | undefined): ext is HttpClientAuthenticator {
  return typeof (ext as Partial<HttpClientAuthenticator> | undefined)?.httpAuthenticator === 'function';
}

function isGrpcClientAuthenticator(ext: Extension | undefined): ext is GrpcClientAuthenticator {
  return typeof (ext as Partial<GrpcClientAuthenticator> | undefined)?.grpcMetadata === 'function';
}

/** The started HTTP authenticator `id` names; a clear error if the host has none (a bug or a test without the extension). */
export function httpClientAuthenticator(host: Host, id: string, path: string): HttpClientAuthenticator {
  const ext = host.getExtension(id);
  if (!isHttpClientAuthenticator(ext)) {
    throw new Error(`${path}: extension "${id}" is not running or does not authenticate HTTP requests`);
  }
  return ext;
}

export function grpcClientAuthenticator(host: Host, id: string, path: string): GrpcClientAuthenticator {
  const ext = host.getExtension(id);
  if (!isGrpcClientAuthenticator(ext)) {
    throw new Error(`${path}: extension "${id}" is not running or does not authenticate gRPC calls`);
  }
  return ext;
}
