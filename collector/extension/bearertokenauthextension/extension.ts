/**
 * The bearertokenauth extension: puts `<scheme> <token>` into one header of every outgoing HTTP
 * request (`client_auth`) or gRPC call's metadata (`grpc_client_auth`). With `filename` the token
 * is the file's first non-empty line, read at start (a missing or empty file stops start-up) and
 * read again whenever the file changes — a projected service-account token or a mounted Secret is
 * replaced by the kubelet while the collector runs (through a symlink swap, which a stat poll
 * sees because stat follows the link). A file that becomes unreadable keeps the last token.
 */
import fs from 'node:fs';
import type { CreateSettings } from '../../component/component.js';
import type { GrpcClientAuthenticator, HttpClientAuthenticator, HttpRequestAuthenticator, HttpRequestToAuthenticate } from '../extensionauth/client.js';
import type { BearerTokenAuthConfig } from './config.js';

/** How often the token file is stat'ed for changes (fs.watchFile: survives symlink swaps and editors' rename-over). */
export const TOKEN_FILE_POLL_MS = 1_000;

/** The first non-empty line of a token file, trimmed (a trailing newline is usual). */
export function tokenFromFile(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '') return t;
  }
  return undefined;
}

export class BearerTokenAuthExtension implements HttpClientAuthenticator, GrpcClientAuthenticator {
  /** The header value sent now: `<scheme> <token>`, or the token alone with an empty scheme. */
  private value = '';
  private readonly headerName: string;
  private watching?: (curr: fs.Stats, prev: fs.Stats) => void;
  /** As grpc-go's PerRPCCredentials in otelcol: a token is never sent over a plaintext channel. */
  readonly requiresTransportSecurity = true;

  constructor(
    private readonly cfg: BearerTokenAuthConfig,
    private readonly settings: CreateSettings,
    private readonly pollMs = TOKEN_FILE_POLL_MS,
  ) {
    this.headerName = cfg.header.toLowerCase();
    if (cfg.token !== undefined) this.setToken(cfg.token);
  }

  private setToken(token: string): void {
    this.value = this.cfg.scheme === '' ? token : `${this.cfg.scheme} ${token}`;
  }

  /** Reads the file; throws a message naming the config path when it has no token. */
  private readFile(): string {
    const file = this.cfg.filename!;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`extensions.${this.settings.id}.filename: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const token = tokenFromFile(text);
    if (token === undefined) throw new Error(`extensions.${this.settings.id}.filename: ${file} holds no token (empty)`);
    if (/[\0]/.test(token)) throw new Error(`extensions.${this.settings.id}.filename: ${file} holds a NUL byte`);
    return token;
  }

  async start(): Promise<void> {
    const file = this.cfg.filename;
    if (file === undefined) return;
    this.setToken(this.readFile());
    this.watching = (curr, prev) => {
      if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
      try {
        const before = this.value;
        this.setToken(this.readFile());
        if (this.value !== before) this.settings.logger.info({ extension: this.settings.id, filename: file }, 'bearer token file changed: using the new token');
      } catch (err) {
        this.settings.logger.warn({ extension: this.settings.id, error: (err as Error).message }, 'bearer token file unreadable: keeping the last token');
      }
    };
    // persistent: false — the poll must not keep the process alive on its own.
    fs.watchFile(file, { interval: this.pollMs, persistent: false }, this.watching);
  }

  async shutdown(): Promise<void> {
    if (this.watching) fs.unwatchFile(this.cfg.filename!, this.watching);
    this.watching = undefined;
  }

  async httpAuthenticator(): Promise<HttpRequestAuthenticator> {
    return {
      authenticate: async (req: HttpRequestToAuthenticate) => ({ ...req.headers, [this.headerName]: this.value }),
    };
  }

  grpcMetadata(): Record<string, string> {
    return { [this.headerName]: this.value };
  }
}
