/**
 * `extensions.bearertokenauth`, with otelcol-contrib's keys and defaults:
 *
 *   extensions:
 *     bearertokenauth:
 *       token: ${env:API_KEY}          # or tokens: [...] (a client sends the first)
 *       filename: /var/run/secrets/... # wins over token(s); re-read whenever the file changes
 *       scheme: Bearer                 # default; "" sends the token alone
 *       header: Authorization          # default
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readObject, readString, readStringList } from '../../config/validate.js';

export interface BearerTokenAuthConfig {
  /** The token when no file is configured. */
  token?: string;
  filename?: string;
  scheme: string;
  header: string;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A token or scheme goes into a header value: no line breaks or NUL (header injection). */
const BAD_VALUE = /[\r\n\0]/;

export function parseBearerTokenAuthConfig(raw: unknown, path: string, issues: ConfigIssues): BearerTokenAuthConfig {
  const o = readObject(raw, path, issues, ['token', 'tokens', 'filename', 'scheme', 'header']);
  const token = readString(o.token, join(path, 'token'), issues, undefined);
  const tokens = readStringList(o.tokens, join(path, 'tokens'), issues);
  const filename = readString(o.filename, join(path, 'filename'), issues, undefined, { nonEmpty: true });
  const scheme = readString(o.scheme, join(path, 'scheme'), issues, 'Bearer');
  const header = readString(o.header, join(path, 'header'), issues, 'Authorization', { nonEmpty: true });
  if (!HEADER_NAME.test(header)) issues.error(join(path, 'header'), `not a valid header name: ${JSON.stringify(header)}`);
  if (BAD_VALUE.test(scheme) || /\s/.test(scheme)) issues.error(join(path, 'scheme'), `must be one word without spaces or line breaks, got ${JSON.stringify(scheme)}`);
  tokens.forEach((t, i) => {
    if (BAD_VALUE.test(t)) issues.error(`${join(path, 'tokens')}[${i}]`, 'must not contain line breaks or NUL');
  });
  if (token !== undefined && BAD_VALUE.test(token)) issues.error(join(path, 'token'), 'must not contain line breaks or NUL');

  const hasToken = token !== undefined && token !== '';
  if (hasToken && tokens.length > 0) issues.error(path, 'either tokens or token should be provided, not both');
  if (filename === undefined && !hasToken && tokens.length === 0) {
    issues.error(path, 'no bearer token provided: set token (e.g. token: ${env:API_KEY}) or filename');
  }
  if (filename !== undefined && (hasToken || tokens.length > 0)) {
    issues.warn(join(path, 'filename'), 'set together with token(s): the file is used and token(s) ignored, as in otelcol');
  }
  return { token: filename === undefined ? (hasToken ? token : tokens[0]) : undefined, filename, scheme, header };
}
