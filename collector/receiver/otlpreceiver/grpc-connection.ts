/**
 * Connection hygiene for the OTLP/gRPC port, on what @grpc/grpc-js does not do itself.
 *
 * grpc-js takes otelcol's `keepalive.server_parameters` (grpc.max_connection_idle_ms,
 * max_connection_age_ms, max_connection_age_grace_ms, keepalive_time_ms, keepalive_timeout_ms)
 * and `max_concurrent_streams`, and those are passed to it. It has no handshake deadline, no
 * `keepalive.enforcement_policy`, no cap on connections and no memory bound across calls; and
 * after a protocol error (bad HPACK, an oversized frame) Node's HTTP/2 layer sends GOAWAY but
 * keeps the socket open. So the receiver owns the listening socket and hands each connection to
 * grpc-js through its public connection injector (Server.createConnectionInjector), through a
 * guard that follows the HTTP/2 frame headers in both directions (h2-frames.ts) and
 *
 * - closes a connection that has not sent the HTTP/2 preface and its SETTINGS within the
 *   handshake timeout (raw TCP, a partial preface, a stalled TLS handshake);
 * - closes the socket as soon as the server has sent a GOAWAY with an error code;
 * - enforces the ping policy as grpc-go does: a PING sooner than `min_time` after the previous
 *   one (or any PING without an open stream, unless `permit_without_stream`) is a strike; past 2
 *   strikes the connection gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and is closed;
 * - counts the DATA bytes of requests being received in the memory budget's admission control
 *   (they are in memory before any handler runs) until their stream ends, and stops reading from
 *   a connection while the budget is over its limit: TCP flow control then holds the client.
 *
 * Data passes through unchanged and uncopied; the cost is one JS hop per chunk each way.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Admission } from '../../component/admission.js';
import { errorCodeOf, Flag, FrameScanner, FrameType, goawayFrame, H2Error, PADDED, type Frame } from './h2-frames.js';

export interface ConnectionPolicy {
  /** The preface and the client's SETTINGS must arrive within this (0 = no limit). */
  handshakeTimeoutMs: number;
  /**
   * max_recv_msg_size: grpc-js refuses a larger message (RESOURCE_EXHAUSTED) from its length
   * prefix, before its handler (ours) runs; the guard reads the same prefix so that the refusal
   * is counted.
   */
  maxRecvMsgSizeBytes: number;
  /** enforcement_policy.min_time: shortest interval between client PINGs. */
  minPingIntervalMs: number;
  /** enforcement_policy.permit_without_stream: PINGs allowed without an open stream. */
  permitWithoutStream: boolean;
}

/** grpc-go's maxPingStrikes: the third early PING closes the connection. */
export const MAX_PING_STRIKES = 2;
/** grpc-go: without permit_without_stream, a PING with no stream open is early within 2 h. */
const PING_WINDOW_WITHOUT_STREAM_MS = 2 * 60 * 60 * 1000;
/** How long a closed socket may take to flush its last frames before it is destroyed. */
const LINGER_MS = 1000;

export type CloseReason = 'handshake_timeout' | 'bad_preface' | 'protocol_error' | 'too_many_pings';

/** A gRPC message prefix: compressed flag (1 byte), length (4 bytes, big-endian). */
const GRPC_PREFIX = 5;
const NO_DATA_YET = -1;

export interface GuardHooks {
  admission(): Admission | undefined;
  /** The guard closed the connection for `reason`. */
  onClose(reason: CloseReason, detail: string): void;
  /** A request grpc-js refuses by itself, seen from its frames (a message above max_recv_msg_size). */
  onRefused(reason: 'too_large', detail: string): void;
  now?: () => number;
}

/**
 * The duplex grpc-js reads from and writes to, standing in for `socket`. Everything the client
 * sends is pushed as it comes; everything grpc-js writes goes to the socket.
 */
export class GuardedConnection extends Duplex {
  private readonly inbound: FrameScanner;
  private readonly outbound: FrameScanner;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private handshaken = false;
  /**
   * Open streams (client-initiated) and the request DATA bytes each holds in the budget;
   * NO_DATA_YET until its first DATA frame (which carries the gRPC message prefix).
   */
  private readonly streams = new Map<number, number>();
  private lastStreamId = 0;
  private lastPingAt = -1;
  private pingStrikes = 0;
  /** The server sent HEADERS or DATA since the last PING (grpc-go resets the strikes then). */
  private sentSincePing = false;
  private closing = false;
  /** A GOAWAY with an error code is being written: end the socket right after it. */
  private endAfterWrite = false;
  private pausedForBudget = false;
  private pausedForReader = false;
  private readonly now: () => number;

  constructor(
    private readonly socket: net.Socket,
    private readonly policy: ConnectionPolicy,
    private readonly hooks: GuardHooks,
  ) {
    super({ allowHalfOpen: false });
    this.now = hooks.now ?? Date.now;
    // The first DATA frame of a request carries the gRPC message prefix (its length).
    this.inbound = new FrameScanner(
      true,
      (f) => this.fromClient(f),
      (type, flags, streamId) => (type === FrameType.DATA && this.streams.get(streamId) === NO_DATA_YET ? GRPC_PREFIX + (flags & PADDED ? 1 : 0) : 0),
    );
    this.outbound = new FrameScanner(false, (f) => this.fromServer(f));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('close', () => {
      this.releaseAll();
      this.clearHandshakeTimer();
      this.destroy();
    });
    // Errors end the connection ('close' follows); the client is gone, nothing to report.
    socket.on('error', () => undefined);
    if (policy.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        if (!this.handshaken) this.kill('handshake_timeout', `no HTTP/2 preface and SETTINGS within ${policy.handshakeTimeoutMs} ms`);
      }, policy.handshakeTimeoutMs);
      this.handshakeTimer.unref();
    }
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }

  private onSocketData(chunk: Buffer): void {
    if (this.closing) return;
    this.inbound.push(chunk);
    if (this.inbound.broken) {
      this.kill('bad_preface', 'the connection did not start with the HTTP/2 preface');
      return;
    }
    if (this.closing) return;
    if (!this.push(chunk)) {
      this.pausedForReader = true;
      this.socket.pause();
    }
  }

  override _read(): void {
    this.pausedForReader = false;
    if (!this.pausedForBudget) this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.writableEnded || this.socket.destroyed) {
      cb(); // the guard closed the connection: what grpc-js still writes has nowhere to go
      return;
    }
    this.outbound.push(chunk);
    this.socket.write(chunk, cb);
    this.endIfClosing();
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (this.socket.writableEnded || this.socket.destroyed) {
      cb();
      return;
    }
    this.socket.cork();
    for (const c of chunks) {
      this.outbound.push(c.chunk);
      this.socket.write(c.chunk);
    }
    this.socket.uncork();
    cb();
    this.endIfClosing();
  }

  /** After a GOAWAY with an error went out: end the socket once it is written. */
  private endIfClosing(): void {
    if (!this.endAfterWrite) return;
    this.endAfterWrite = false;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  override _final(cb: () => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.releaseAll();
    this.clearHandshakeTimer();
    if (!this.socket.destroyed) this.socket.destroy();
    cb(err);
  }

  /** Frames the client sent. */
  private fromClient(f: Frame): void {
    switch (f.type) {
      case FrameType.SETTINGS:
        if (!this.handshaken) {
          this.handshaken = true;
          this.clearHandshakeTimer();
        }
        return;
      case FrameType.HEADERS:
        if (f.streamId > this.lastStreamId && f.streamId % 2 === 1) {
          this.lastStreamId = f.streamId;
          this.streams.set(f.streamId, NO_DATA_YET);
        }
        return;
      case FrameType.DATA:
        if (f.head.length > 0) this.checkMessageSize(f);
        this.holdData(f.streamId, f.length);
        return;
      case FrameType.RST_STREAM:
        this.endStream(f.streamId);
        return;
      case FrameType.PING:
        if (!(f.flags & Flag.ACK)) this.onPing();
        return;
    }
  }

  /** Frames the server (grpc-js / Node) sent. */
  private fromServer(f: Frame): void {
    switch (f.type) {
      case FrameType.HEADERS:
      case FrameType.DATA:
        this.sentSincePing = true;
        if (f.flags & Flag.END_STREAM) this.endStream(f.streamId);
        return;
      case FrameType.RST_STREAM:
        this.endStream(f.streamId);
        return;
      case FrameType.GOAWAY:
        if (errorCodeOf(f) !== H2Error.NO_ERROR && !this.closing) {
          // Node keeps the socket open after a protocol-error GOAWAY: close it once it is written.
          this.closing = true;
          this.endAfterWrite = true;
          this.hooks.onClose('protocol_error', `the server sent GOAWAY with error code ${errorCodeOf(f)}`);
        }
        return;
    }
  }

  private checkMessageSize(f: Frame): void {
    const at = f.flags & PADDED ? 2 : 1;
    if (f.head.length < at + 4) return;
    const size = f.head.readUInt32BE(at);
    if (size > this.policy.maxRecvMsgSizeBytes) {
      this.hooks.onRefused('too_large', `message of ${size} bytes, above max_recv_msg_size_mib (${this.policy.maxRecvMsgSizeBytes} bytes)`);
    }
  }

  private holdData(streamId: number, bytes: number): void {
    const held = this.streams.get(streamId);
    if (held === undefined) return;
    const admission = this.hooks.admission();
    if (!admission || bytes === 0) {
      if (held === NO_DATA_YET) this.streams.set(streamId, 0);
      return;
    }
    this.streams.set(streamId, Math.max(0, held) + bytes);
    admission.holdBytes(bytes);
    if (admission.over() && !this.pausedForBudget) {
      this.pausedForBudget = true;
      this.socket.pause();
      admission.onRoom(() => {
        this.pausedForBudget = false;
        if (!this.pausedForReader && !this.closing) this.socket.resume();
      });
    }
  }

  private endStream(streamId: number): void {
    const held = this.streams.get(streamId);
    if (held === undefined) return;
    this.streams.delete(streamId);
    if (held > 0) this.hooks.admission()?.holdBytes(-held);
  }

  private releaseAll(): void {
    let held = 0;
    for (const n of this.streams.values()) held += Math.max(0, n);
    this.streams.clear();
    if (held > 0) this.hooks.admission()?.holdBytes(-held);
  }

  /** grpc-go's ping policy (keepalive.EnforcementPolicy). */
  private onPing(): void {
    const t = this.now();
    if (this.sentSincePing) {
      // The server has answered something since: a ping now is legitimate keepalive.
      this.sentSincePing = false;
      this.pingStrikes = 0;
      this.lastPingAt = t;
      return;
    }
    const window = this.streams.size === 0 && !this.policy.permitWithoutStream ? PING_WINDOW_WITHOUT_STREAM_MS : this.policy.minPingIntervalMs;
    if (this.lastPingAt >= 0 && t - this.lastPingAt < window) this.pingStrikes++;
    this.lastPingAt = t;
    if (this.pingStrikes > MAX_PING_STRIKES) {
      const why = this.streams.size === 0 && !this.policy.permitWithoutStream ? 'PINGs without an open stream (permit_without_stream: false)' : `PINGs more often than every ${this.policy.minPingIntervalMs} ms (min_time)`;
      if (this.outbound.atBoundary) this.socket.write(goawayFrame(this.lastStreamId, H2Error.ENHANCE_YOUR_CALM, 'too_many_pings'));
      this.closeAfterFlush('too_many_pings', why);
    }
  }

  /** Ends the socket after what is written so far, destroying it if the peer lingers. */
  private closeAfterFlush(reason: CloseReason, detail: string): void {
    if (this.closing) return;
    this.closing = true;
    this.hooks.onClose(reason, detail);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  /** Closes at once. */
  private kill(reason: CloseReason, detail: string): void {
    if (this.closing) return;
    this.closing = true;
    this.hooks.onClose(reason, detail);
    this.socket.destroy();
  }
}
