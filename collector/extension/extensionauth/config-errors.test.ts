/**
 * `auth: { authenticator: ... }` as the whole config loader checks it (the built-in factories):
 * every mistake a user can make is one error at its full path, with its message.
 */
import { describe, expect, it } from 'vitest';
import { builtinFactories } from '../../components.js';
import { parseConfigText } from '../../config/load.js';
import { ConfigError } from '../../config/issues.js';

const extensionTypes = builtinFactories.filter((f) => f.kind === 'extension').map((f) => f.type).sort().join(', ');

function config(exporters: string, extensions: string, enabled: string, pipelineExporters = '[otlphttp]'): string {
  return `
receivers: { otlp: { protocols: { http: { endpoint: "127.0.0.1:0" } } } }
exporters: ${exporters}
extensions: ${extensions}
service:
  extensions: ${enabled}
  pipelines: { traces: { receivers: [otlp], exporters: ${pipelineExporters} } }
`;
}

function problems(text: string): string[] {
  try {
    parseConfigText(text, {});
    return [];
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
}

const XRAY = 'otlphttp: { endpoint: "https://xray.us-east-1.amazonaws.com", auth: { authenticator: sigv4auth } }';

describe('authenticator config errors, each with its path and message', () => {
  it('accepts otlphttp + sigv4auth, otlphttp + bearertokenauth and otlp + bearertokenauth', () => {
    expect(problems(config(`{ ${XRAY} }`, '{ sigv4auth: { region: us-east-1 } }', '[sigv4auth]'))).toEqual([]);
    expect(problems(config('{ otlphttp: { endpoint: "https://a", auth: { authenticator: bearertokenauth/api } } }', '{ bearertokenauth/api: { token: t } }', '[bearertokenauth/api]'))).toEqual([]);
    expect(problems(config('{ otlp: { endpoint: "a:4317", auth: { authenticator: bearertokenauth } } }', '{ bearertokenauth: { token: t } }', '[bearertokenauth]', '[otlp]'))).toEqual([]);
    const cfg = parseConfigText(config(`{ ${XRAY} }`, '{ sigv4auth: { region: us-east-1 } }', '[sigv4auth]'), {});
    expect((cfg.exporters.get('otlphttp')!.config as { authenticator?: string }).authenticator).toBe('sigv4auth');
  });

  it.each([
    ['an authenticator type that does not exist here',
      config('{ otlphttp: { endpoint: "https://a", auth: { authenticator: oauth2client } } }', '{ oauth2client: { client_id: x } }', '[oauth2client]'),
      [`extensions.oauth2client: unsupported extension type "oauth2client" (supported: ${extensionTypes})`]],
    ['a missing extension',
      config(`{ ${XRAY} }`, '{}', '[]'),
      ['exporters.otlphttp.auth.authenticator: references extension "sigv4auth" which is not configured']],
    ['an extension not enabled in service.extensions',
      config(`{ ${XRAY} }`, '{ sigv4auth: {} }', '[]'),
      ['exporters.otlphttp.auth.authenticator: references extension "sigv4auth" which is not enabled: add it to service.extensions']],
    ['an extension that is no authenticator',
      config('{ otlphttp: { endpoint: "https://a", auth: { authenticator: health_check } } }', '{ health_check: {} }', '[health_check]'),
      ['exporters.otlphttp.auth.authenticator: extension "health_check" (type health_check) is not an authenticator (client auth) extension']],
    ['sigv4auth on the gRPC otlp exporter (SigV4 is HTTP only)',
      config('{ otlp: { endpoint: "xray.us-east-1.amazonaws.com:443", auth: { authenticator: sigv4auth } } }', '{ sigv4auth: {} }', '[sigv4auth]', '[otlp]'),
      ['exporters.otlp.auth.authenticator: extension "sigv4auth" (type sigv4auth) is not an authenticator for gRPC clients: it authenticates HTTP requests only (use it with the otlphttp exporter)']],
    ['a wrong key under auth',
      config('{ otlphttp: { endpoint: "https://a", auth: { authenticatr: sigv4auth } } }', '{ sigv4auth: {} }', '[sigv4auth]'),
      ['exporters.otlphttp.auth: has invalid keys: authenticatr (valid keys: authenticator)', 'exporters.otlphttp.auth.authenticator: required: the ID of an authenticator extension (e.g. sigv4auth, bearertokenauth)']],
    ['auth given as a string',
      config('{ otlphttp: { endpoint: "https://a", auth: sigv4auth } }', '{ sigv4auth: {} }', '[sigv4auth]'),
      ['exporters.otlphttp.auth: expected a mapping like { authenticator: sigv4auth }']],
    ['a wrong key in sigv4auth',
      config(`{ ${XRAY} }`, '{ sigv4auth: { regoin: us-east-1 } }', '[sigv4auth]'),
      ['extensions.sigv4auth: has invalid keys: regoin (valid keys: region, service, assume_role, assume_role_with_web_identity)']],
    ['a wrong key in sigv4auth.assume_role',
      config(`{ ${XRAY} }`, '{ sigv4auth: { assume_role: { role_arn: "arn:aws:iam::123456789012:role/x" } } }', '[sigv4auth]'),
      ['extensions.sigv4auth.assume_role: has invalid keys: role_arn (valid keys: arn, session_name, sts_region)']],
    ['bearertokenauth without a token',
      config('{ otlphttp: { endpoint: "https://a", auth: { authenticator: bearertokenauth } } }', '{ bearertokenauth: { scheme: Bearer } }', '[bearertokenauth]'),
      ['extensions.bearertokenauth: no bearer token provided: set token (e.g. token: ${env:API_KEY}) or filename']],
  ])('refuses %s', (_what, text, want) => {
    expect(problems(text)).toEqual(want);
  });
});
