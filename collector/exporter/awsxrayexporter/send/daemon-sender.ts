/**
 * `daemon_address`: UDP datagrams to an X-Ray daemon or the CloudWatch agent, in their framing —
 * one document per datagram, prefixed by the header line `{"format": "json", "version": 1}\n`.
 * UDP has no acknowledgement: a datagram the socket accepted counts as sent; socket errors are
 * retried by the queue.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { parseHostPort } from '../../../config/validate.js';
import { documentJson } from '../translator/document-writer.js';
import type { XrayDocument } from '../translator/translate.js';
import type { DocumentSender, SendOutcome } from './api-sender.js';

export const DAEMON_HEADER = '{"format": "json", "version": 1}\n';
/** Largest UDP payload over IPv4 (65535 − 8 UDP − 20 IP header bytes). */
export const MAX_DATAGRAM_BYTES = 65_507;
/** The largest document that fits one datagram after the header. */
export const MAX_DAEMON_DOCUMENT_BYTES = MAX_DATAGRAM_BYTES - Buffer.byteLength(DAEMON_HEADER);

const HEADER = Buffer.from(DAEMON_HEADER);

export class DaemonSender implements DocumentSender {
  private socket?: Socket;
  private host = '';
  private readonly port: number;
  private readonly rawHost: string;

  constructor(address: string) {
    const hp = parseHostPort(address);
    if (!hp) throw new Error(`daemon_address: expected host:port, got ${JSON.stringify(address)}`);
    this.rawHost = hp.host === '' ? '127.0.0.1' : hp.host;
    this.port = hp.port;
  }

  async start(): Promise<void> {
    // Resolve once: a DNS lookup per datagram would dominate the cost.
    this.host = isIP(this.rawHost) ? this.rawHost : (await lookup(this.rawHost)).address;
    const socket = createSocket(isIP(this.host) === 6 ? 'udp6' : 'udp4');
    socket.on('error', () => {
      /* reported per send through the callback */
    });
    socket.unref();
    this.socket = socket;
  }

  async send(docs: readonly XrayDocument[], signal: AbortSignal): Promise<SendOutcome> {
    const outcome: SendOutcome = { retry: [], permanent: new Map(), unprocessed: 0 };
    if (!this.socket) await this.start();
    const socket = this.socket!;
    for (const d of docs) {
      if (signal.aborted) {
        outcome.retry.push(d);
        continue;
      }
      try {
        await new Promise<void>((resolve, reject) => {
          socket.send([HEADER, Buffer.from(documentJson(d.data))], this.port, this.host, (err) => (err ? reject(err) : resolve()));
        });
      } catch (err) {
        outcome.retry.push(d);
        outcome.lastError = `UDP send to ${this.host}:${this.port} failed: ${(err as Error).message}`;
      }
    }
    return outcome;
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
