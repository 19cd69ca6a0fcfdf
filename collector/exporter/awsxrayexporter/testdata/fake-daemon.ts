/**
 * A UDP listener on 127.0.0.1 (port 0) standing in for the X-Ray daemon / CloudWatch agent:
 * records every datagram and checks the daemon framing (header line, then one JSON document).
 */
import { createSocket, type Socket } from 'node:dgram';

export interface Datagram {
  bytes: number;
  header: string;
  document: unknown;
  problem?: string;
}

export class FakeDaemon {
  private socket?: Socket;
  address = '';
  readonly datagrams: Datagram[] = [];

  async start(): Promise<string> {
    const s = createSocket('udp4');
    s.on('message', (msg) => {
      const text = msg.toString('utf8');
      const nl = text.indexOf('\n');
      const d: Datagram = { bytes: msg.length, header: nl >= 0 ? text.slice(0, nl) : text, document: undefined };
      try {
        d.document = JSON.parse(text.slice(nl + 1));
      } catch (e) {
        d.problem = `body is not one JSON document: ${(e as Error).message}`;
      }
      this.datagrams.push(d);
    });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    this.socket = s;
    this.address = `127.0.0.1:${s.address().port}`;
    return this.address;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }
}
