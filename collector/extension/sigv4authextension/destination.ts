/**
 * The SigV4 service and region an AWS endpoint's host name implies, for when the config does not
 * set them — otelcol-contrib's rules: `xray.<region>.amazonaws.com` → xray,
 * `aps-workspaces.<region>…` → aps, `search-<domain>.<region>.es…` → es, `logs.<region>…` → logs,
 * the region being the label after the first dot. Ours also reads the region of any
 * `<service>.<region>.amazonaws.com[.cn]` host. Pure; table-tested.
 */

export interface AwsDestination {
  service?: string;
  region?: string;
}

/** Host prefixes whose service name differs from the first label, and the ones otelcol knows. */
const PREFIX_SERVICE: ReadonlyArray<readonly [string, string]> = [
  ['aps-workspaces', 'aps'],
  ['search-', 'es'],
  ['logs', 'logs'],
  ['xray', 'xray'],
];

/** An AWS region name (us-east-1, cn-north-1, us-gov-west-1); config.ts checks `region` with it too. */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const AWS_DOMAIN = /\.amazonaws\.com(\.cn)?$/;

export function inferAwsDestination(hostname: string): AwsDestination {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  const out: AwsDestination = {};
  for (const [prefix, service] of PREFIX_SERVICE) {
    if (host.startsWith(prefix)) {
      out.service = service;
      break;
    }
  }
  const labels = host.split('.');
  if (labels.length >= 3 && REGION.test(labels[1]!) && (out.service !== undefined || AWS_DOMAIN.test(host))) {
    out.region = labels[1];
  }
  return out;
}

/** Whether `hostname` is X-Ray's OTLP endpoint (`xray.<region>.amazonaws.com`, China regions too). */
export function isXrayOtlpHost(hostname: string): boolean {
  return /^xray\.[a-z]{2}(-[a-z]+)+-\d+\.amazonaws\.com(\.cn)?\.?$/i.test(hostname);
}
