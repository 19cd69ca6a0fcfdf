/**
 * `extensions.sigv4auth`, with otelcol-contrib's keys:
 *
 *   extensions:
 *     sigv4auth:
 *       region: us-east-1            # optional: inferred from the endpoint (xray.<region>.amazonaws.com)
 *       service: xray                # optional: inferred from the endpoint
 *       assume_role:                 # optional: STS AssumeRole on top of the default credential chain
 *         arn: arn:aws:iam::123456789012:role/meshtrace-xray
 *         session_name: meshtrace    # optional
 *         sts_region: us-east-1      # optional; defaults to region (as otelcol-contrib does)
 *
 * Credentials come from the AWS SDK's default chain (environment, IRSA web identity token file,
 * EKS Pod Identity / ECS container credentials, shared config and credentials files, SSO,
 * instance metadata), refreshed before they expire.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readObject, readString } from '../../config/validate.js';
import { REGION } from './destination.js';

export interface AssumeRoleConfig {
  arn: string;
  sessionName: string;
  stsRegion?: string;
}

export interface Sigv4AuthConfig {
  region?: string;
  service?: string;
  assumeRole?: AssumeRoleConfig;
}

/** The session name used when `assume_role.session_name` is not set (it shows in CloudTrail). */
export const DEFAULT_SESSION_NAME = 'meshtrace-collector';

const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
/** STS RoleSessionName: 2-64 characters of [\w+=,.@-]. */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** A SigV4 service signing name: lower-case letters, digits and dashes (xray, aps, es, logs, execute-api). */
const SERVICE = /^[a-z0-9][a-z0-9-]*$/;

function readRegion(v: unknown, path: string, issues: ConfigIssues): string | undefined {
  const region = readString(v, path, issues, undefined, { nonEmpty: true });
  if (region !== undefined && !REGION.test(region)) {
    issues.error(path, `expected an AWS region like us-east-1, got ${JSON.stringify(region)}`);
    return undefined;
  }
  return region;
}

export function parseSigv4AuthConfig(raw: unknown, path: string, issues: ConfigIssues): Sigv4AuthConfig {
  const o = readObject(raw, path, issues, ['region', 'service', 'assume_role', 'assume_role_with_web_identity']);
  if (o.assume_role_with_web_identity !== undefined && o.assume_role_with_web_identity !== null) {
    // An error, not a warning: ignoring it would sign as another identity than the user asked for.
    issues.error(
      join(path, 'assume_role_with_web_identity'),
      'not supported: set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE instead (IRSA does), the default credential chain then assumes the role with the token file',
    );
  }
  const cfg: Sigv4AuthConfig = {
    region: readRegion(o.region, join(path, 'region'), issues),
    service: readString(o.service, join(path, 'service'), issues, undefined, { nonEmpty: true }),
  };
  if (cfg.service !== undefined && !SERVICE.test(cfg.service)) {
    issues.error(join(path, 'service'), `expected an AWS service signing name like xray, got ${JSON.stringify(cfg.service)}`);
  }
  if (o.assume_role !== undefined && o.assume_role !== null) {
    const rp = join(path, 'assume_role');
    const r = readObject(o.assume_role, rp, issues, ['arn', 'session_name', 'sts_region']);
    const arn = readString(r.arn, join(rp, 'arn'), issues, '');
    const sessionName = readString(r.session_name, join(rp, 'session_name'), issues, DEFAULT_SESSION_NAME);
    const stsRegion = readRegion(r.sts_region, join(rp, 'sts_region'), issues) ?? cfg.region;
    if (arn !== '' && !ROLE_ARN.test(arn)) {
      issues.error(join(rp, 'arn'), `expected an IAM role ARN like arn:aws:iam::123456789012:role/name, got ${JSON.stringify(arn)}`);
    }
    if (!SESSION_NAME.test(sessionName)) {
      issues.error(join(rp, 'session_name'), `expected 2-64 characters of letters, digits and _+=,.@-, got ${JSON.stringify(sessionName)}`);
    }
    // otelcol-contrib's default is an empty assume_role: no ARN means the default chain as is.
    if (arn !== '') cfg.assumeRole = { arn, sessionName, stsRegion };
    else if (r.session_name !== undefined || r.sts_region !== undefined) {
      issues.warn(join(rp, 'arn'), 'not set: session_name and sts_region have no effect without a role to assume');
    }
  }
  return cfg;
}
