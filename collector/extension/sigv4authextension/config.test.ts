import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { DEFAULT_SESSION_NAME, parseSigv4AuthConfig } from './config.js';
import { inferAwsDestination, isXrayOtlpHost } from './destination.js';
import { sigv4AuthExtensionFactory } from './factory.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseSigv4AuthConfig(raw, 'extensions.sigv4auth', issues);
  return { cfg, errors: issues.errors.map((e) => `${e.path}: ${e.message}`), warnings: issues.warnings.map((e) => `${e.path}: ${e.message}`) };
}

describe('sigv4auth config', () => {
  it('is a client_auth (HTTP) extension named as in otelcol-contrib, not a gRPC one', () => {
    expect(sigv4AuthExtensionFactory.type).toBe('sigv4auth');
    expect(sigv4AuthExtensionFactory.capabilities).toEqual(['client_auth']);
  });

  it.each([
    [undefined, {}],
    [{}, {}],
    [{ region: 'us-east-1', service: 'xray' }, { region: 'us-east-1', service: 'xray' }],
    [{ assume_role: { arn: 'arn:aws:iam::123456789012:role/xray-writer' } },
      { assumeRole: { arn: 'arn:aws:iam::123456789012:role/xray-writer', sessionName: DEFAULT_SESSION_NAME, stsRegion: undefined } }],
    [{ region: 'eu-west-1', assume_role: { arn: 'arn:aws:iam::123456789012:role/r', session_name: 'mesh' } },
      { region: 'eu-west-1', assumeRole: { arn: 'arn:aws:iam::123456789012:role/r', sessionName: 'mesh', stsRegion: 'eu-west-1' } }],
    [{ region: 'eu-west-1', assume_role: { arn: 'arn:aws-cn:iam::123456789012:role/r', sts_region: 'cn-north-1' } },
      { region: 'eu-west-1', assumeRole: { arn: 'arn:aws-cn:iam::123456789012:role/r', sessionName: DEFAULT_SESSION_NAME, stsRegion: 'cn-north-1' } }],
    // otelcol-contrib's default: an empty assume_role means no role.
    [{ assume_role: { arn: '' } }, {}],
  ])('%j → %j', (raw, want) => {
    const { cfg, errors } = parse(raw);
    expect(errors).toEqual([]);
    expect(cfg).toEqual(want);
  });

  it.each([
    [{ regoin: 'us-east-1' }, 'extensions.sigv4auth: has invalid keys: regoin (valid keys: region, service, assume_role, assume_role_with_web_identity)'],
    [{ region: 'US East' }, 'extensions.sigv4auth.region: expected an AWS region like us-east-1, got "US East"'],
    [{ region: '' }, 'extensions.sigv4auth.region: must not be empty'],
    [{ service: 'X Ray' }, 'extensions.sigv4auth.service: expected an AWS service signing name like xray, got "X Ray"'],
    [{ assume_role: 'arn:aws:iam::123456789012:role/r' }, 'extensions.sigv4auth.assume_role: expected a mapping, got "arn:aws:iam::123456789012:role/r"'],
    [{ assume_role: { arn: 'role/r' } }, 'extensions.sigv4auth.assume_role.arn: expected an IAM role ARN like arn:aws:iam::123456789012:role/name, got "role/r"'],
    [{ assume_role: { arn: 'arn:aws:iam::123456789012:role/r', session_name: 'a b' } },
      'extensions.sigv4auth.assume_role.session_name: expected 2-64 characters of letters, digits and _+=,.@-, got "a b"'],
    [{ assume_role: { arn: 'arn:aws:iam::123456789012:role/r', sts_region: 'nowhere' } },
      'extensions.sigv4auth.assume_role.sts_region: expected an AWS region like us-east-1, got "nowhere"'],
    [{ assume_role: { role_arn: 'x' } }, 'extensions.sigv4auth.assume_role: has invalid keys: role_arn (valid keys: arn, session_name, sts_region)'],
    [{ assume_role_with_web_identity: { arn: 'arn:aws:iam::123456789012:role/r', token_file: '/t' } },
      'extensions.sigv4auth.assume_role_with_web_identity: not supported: set AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE instead (IRSA does), the default credential chain then assumes the role with the token file'],
  ])('%j is refused: %s', (raw, message) => {
    expect(parse(raw).errors).toContain(message);
  });

  it('warns when session_name or sts_region is set without a role', () => {
    expect(parse({ assume_role: { session_name: 'x1' } }).warnings).toEqual([
      'extensions.sigv4auth.assume_role.arn: not set: session_name and sts_region have no effect without a role to assume',
    ]);
  });
});

describe('service and region from the endpoint host (otelcol-contrib rules)', () => {
  it.each([
    ['xray.us-west-2.amazonaws.com', { service: 'xray', region: 'us-west-2' }],
    ['xray.cn-north-1.amazonaws.com.cn', { service: 'xray', region: 'cn-north-1' }],
    ['XRAY.EU-CENTRAL-1.AMAZONAWS.COM', { service: 'xray', region: 'eu-central-1' }],
    ['aps-workspaces.eu-west-1.amazonaws.com', { service: 'aps', region: 'eu-west-1' }],
    ['search-logs-abc123.us-east-2.es.amazonaws.com', { service: 'es', region: 'us-east-2' }],
    ['logs.ap-southeast-2.amazonaws.com', { service: 'logs', region: 'ap-southeast-2' }],
    ['monitoring.us-gov-west-1.amazonaws.com', { region: 'us-gov-west-1' }],
    ['xray-proxy.internal', { service: 'xray' }],
    ['127.0.0.1', {}],
    ['otlp.example.com', {}],
    ['api.us-east-1.example.com', {}],
  ])('%s → %j', (host, want) => {
    expect(inferAwsDestination(host)).toEqual(want);
  });

  it.each([
    ['xray.us-east-1.amazonaws.com', true],
    ['xray.cn-northwest-1.amazonaws.com.cn', true],
    ['xray.us-east-1.amazonaws.com.', true],
    ['xray.amazonaws.com', false],
    ['logs.us-east-1.amazonaws.com', false],
    ['xray.us-east-1.amazonaws.com.evil.example', false],
    ['127.0.0.1', false],
  ])('isXrayOtlpHost(%s) = %s', (host, want) => {
    expect(isXrayOtlpHost(host)).toBe(want);
  });
});
