/**
 * Where sigv4auth's credentials come from: the AWS SDK's default Node chain, optionally with an
 * STS AssumeRole on top — all AWS SDK providers, none of it hand-written. Both are memoized the
 * way SDK clients memoize theirs: the credentials are reused until five minutes before they
 * expire, then fetched again (the chain refreshes in the background while the old ones are still
 * valid), so rotating credentials (IRSA, Pod Identity, assumed roles) are picked up without a
 * restart and without a credential call per request.
 */
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from '@smithy/core/config';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AssumeRoleConfig } from './config.js';

/** A function giving the current credentials (the SDK's AwsCredentialIdentityProvider). */
export type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

/** The SDK providers call `logger.debug` without checking for it; only warnings are worth keeping. */
export interface SdkLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export function awsCredentialProvider(assumeRole: AssumeRoleConfig | undefined, logger: SdkLogger): CredentialProvider {
  // The default chain: env, SSO, ini profile, credential_process, web identity token file (IRSA),
  // container credentials (EKS Pod Identity, ECS), instance metadata. Memoized by the SDK itself.
  const chain = fromNodeProviderChain({ logger });
  if (!assumeRole) return chain;
  const assumed = fromTemporaryCredentials({
    params: { RoleArn: assumeRole.arn, RoleSessionName: assumeRole.sessionName },
    masterCredentials: chain,
    clientConfig: assumeRole.stsRegion ? { region: assumeRole.stsRegion } : undefined,
    logger,
  });
  // fromTemporaryCredentials calls STS every time it is asked; memoize as SDK clients do.
  return memoizeIdentityProvider<Credentials>(assumed, isIdentityExpired, doesIdentityRequireRefresh)!;
}

/** The region the AWS SDK would use: AWS_REGION, then the profile's `region` in ~/.aws/config. */
export async function sdkDefaultRegion(): Promise<string | undefined> {
  try {
    return await loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)();
  } catch {
    return undefined; // none configured
  }
}
