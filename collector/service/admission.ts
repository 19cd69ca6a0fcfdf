/**
 * The receivers' admission controller: a semaphore in bytes shared by every receiver, with a
 * bounded waiting line, after the OTel-Arrow receiver's `admission` (`request_limit_mib`,
 * `waiting_limit_mib`; contrib internal/otelarrow/admission2):
 *
 * - a request is admitted at once when the bytes in flight plus its own stay within the limit;
 * - otherwise it waits, first come first served, while the bytes waiting stay within the waiting
 *   limit, until room is released or its deadline passes;
 * - otherwise it is refused at once (retryably: the client keeps the data);
 * - a request larger than the whole limit is refused for good (`too_large`).
 *
 * A request holds its bytes from before its body is read until the pipeline has taken its spans,
 * and grows its grant as it goes (wire bytes, then inflated bytes, then the decoded objects
 * estimated before decoding: see receiver/internal/request-cost.ts). Growing never waits.
 *
 * Every admission and growth also looks at live memory (V8 heap used + external buffers, about
 * 1 µs to read): above the soft limit the request is refused (`memory_limit`), so memory checks
 * react within one request rather than once per check_interval. As the Collector's memory
 * limiter does, a garbage collection is forced when above the soft limit, at most once per
 * `minGcIntervalMs`, so garbage not yet collected does not keep the collector refusing.
 */
import { AdmissionRefused, type Admission, type AdmissionGrant } from '../component/admission.js';

export interface AdmissionLimits {
  requestLimitBytes: number;
  waitingLimitBytes: number;
  /** Live memory above which requests are refused (the budget's soft limit). */
  softLimitBytes: number;
  /** Live memory above which garbage collection is forced without waiting for its interval. */
  hardLimitBytes: number;
  maxSpansPerRequest: number;
  /** Minimum time between forced collections while above the soft limit (0: none forced). */
  minGcIntervalSoftMs: number;
  /** Same, above the hard limit. */
  minGcIntervalHardMs: number;
}

export interface AdmissionProbes {
  /** Live memory in bytes. */
  liveMemory: () => number;
  /** Forces a full garbage collection, when the runtime allows it. */
  collectGarbage?: () => void;
  now?: () => number;
}

/** Back-off suggested to clients refused for memory or admission (seconds). */
export const ADMISSION_RETRY_AFTER_SECONDS = 1;

/**
 * Forced collections are never closer than this, whatever the configured intervals (0 included):
 * a full collection of a few hundred MB stops the event loop for tens of milliseconds.
 */
export const MIN_FORCED_GC_SPACING_MS = 250;

interface Waiter {
  bytes: number;
  resolve: (g: AdmissionGrant) => void;
  reject: (r: AdmissionRefused) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  timer?: NodeJS.Timeout;
}

const MiB = 1024 * 1024;

function mib(bytes: number): string {
  return `${Math.round((bytes / MiB) * 10) / 10} MiB`;
}

class Grant implements AdmissionGrant {
  private held: number;
  private released = false;

  constructor(
    private readonly ctl: AdmissionController,
    bytes: number,
  ) {
    this.held = bytes;
  }

  get bytes(): number {
    return this.held;
  }

  grow(bytes: number): AdmissionRefused | undefined {
    if (this.released || bytes <= 0) return undefined;
    const refused = this.ctl.tryGrow(this.held, bytes);
    if (!refused) this.held += bytes;
    return refused;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.ctl.give(this.held);
    this.held = 0;
  }
}

export class AdmissionController implements Admission {
  private inFlight = 0;
  private waitingBytes = 0;
  private readonly line: Waiter[] = [];
  private roomWaiters: (() => void)[] = [];
  private lastGcAt = -Infinity;
  private readonly now: () => number;

  constructor(
    readonly limits: AdmissionLimits,
    private readonly probes: AdmissionProbes,
  ) {
    this.now = probes.now ?? Date.now;
  }

  get maxSpansPerRequest(): number {
    return this.limits.maxSpansPerRequest;
  }

  get requestLimitBytes(): number {
    return this.limits.requestLimitBytes;
  }

  /** Bytes admitted and not yet released. */
  get inFlightBytes(): number {
    return this.inFlight;
  }

  /** Bytes of the requests waiting in line. */
  get waitingLineBytes(): number {
    return this.waitingBytes;
  }

  over(): boolean {
    return this.inFlight >= this.limits.requestLimitBytes;
  }

  onRoom(cb: () => void): void {
    this.roomWaiters.push(cb);
  }

  holdBytes(delta: number): void {
    if (delta >= 0) this.inFlight += delta;
    else this.give(-delta);
  }

  acquire(bytes: number, wait?: AbortSignal | number): Promise<AdmissionGrant> {
    const n = Math.max(0, Math.ceil(bytes));
    const l = this.limits;
    if (n > l.requestLimitBytes) {
      return Promise.reject(new AdmissionRefused('too_large', `request needs ${mib(n)}, more than the whole admission limit of ${mib(l.requestLimitBytes)}`, 0));
    }
    const memory = this.memoryRefusal(n);
    if (memory) return Promise.reject(memory);
    if (this.line.length === 0 && this.inFlight + n <= l.requestLimitBytes) {
      this.inFlight += n;
      return Promise.resolve(new Grant(this, n));
    }
    if (this.waitingBytes + n > l.waitingLimitBytes) {
      return Promise.reject(
        new AdmissionRefused(
          'waiting_limit',
          `too much data in flight: ${mib(this.inFlight)} admitted (limit ${mib(l.requestLimitBytes)}) and ${mib(this.waitingBytes)} waiting (limit ${mib(l.waitingLimitBytes)})`,
          ADMISSION_RETRY_AFTER_SECONDS,
        ),
      );
    }
    const signal = typeof wait === 'number' ? undefined : wait;
    if (signal?.aborted || wait === 0) return Promise.reject(this.timeoutRefusal());
    return new Promise<AdmissionGrant>((resolve, reject) => {
      const w: Waiter = { bytes: n, resolve, reject, signal };
      w.onAbort = () => {
        const i = this.line.indexOf(w);
        if (i < 0) return;
        this.line.splice(i, 1);
        this.waitingBytes -= w.bytes;
        this.stopWaiting(w);
        reject(this.timeoutRefusal());
        this.admitWaiters(); // the head may have changed
      };
      if (signal) signal.addEventListener('abort', w.onAbort, { once: true });
      else if (typeof wait === 'number') w.timer = setTimeout(w.onAbort, wait);
      this.line.push(w);
      this.waitingBytes += n;
    });
  }

  /** Grant growth: never waits. */
  tryGrow(held: number, bytes: number): AdmissionRefused | undefined {
    const n = Math.ceil(bytes);
    const l = this.limits;
    if (held + n > l.requestLimitBytes) {
      return new AdmissionRefused('too_large', `request needs more than ${mib(held + n)}, more than the whole admission limit of ${mib(l.requestLimitBytes)}`, 0);
    }
    const memory = this.memoryRefusal(n);
    if (memory) return memory;
    if (this.inFlight + n > l.requestLimitBytes) {
      return new AdmissionRefused(
        'waiting_limit',
        `too much data in flight: ${mib(this.inFlight)} admitted, limit ${mib(l.requestLimitBytes)}`,
        ADMISSION_RETRY_AFTER_SECONDS,
      );
    }
    this.inFlight += n;
    return undefined;
  }

  /** Bytes released by a grant. */
  give(bytes: number): void {
    this.inFlight -= bytes;
    if (this.inFlight < 0) this.inFlight = 0;
    this.admitWaiters();
    if (this.roomWaiters.length && !this.over()) {
      const cbs = this.roomWaiters;
      this.roomWaiters = [];
      for (const cb of cbs) cb();
    }
  }

  private admitWaiters(): void {
    while (this.line.length) {
      const w = this.line[0];
      if (this.inFlight + w.bytes > this.limits.requestLimitBytes) return;
      this.line.shift();
      this.waitingBytes -= w.bytes;
      this.stopWaiting(w);
      this.inFlight += w.bytes;
      w.resolve(new Grant(this, w.bytes));
    }
  }

  private stopWaiting(w: Waiter): void {
    if (w.signal && w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
    if (w.timer) clearTimeout(w.timer);
  }

  private timeoutRefusal(): AdmissionRefused {
    return new AdmissionRefused('admission_timeout', 'waited for room in the admission limit until the request deadline', ADMISSION_RETRY_AFTER_SECONDS);
  }

  /**
   * Live memory, after forcing a collection first when live + `bytes` is above the soft limit and
   * the forced-collection interval allows (garbage counts as used until collected).
   */
  liveMemory(bytes = 0): number {
    const l = this.limits;
    const live = this.probes.liveMemory();
    const collect = this.probes.collectGarbage;
    if (live + bytes <= l.softLimitBytes || !collect) return live;
    const interval = Math.max(MIN_FORCED_GC_SPACING_MS, live >= l.hardLimitBytes ? l.minGcIntervalHardMs : l.minGcIntervalSoftMs);
    const t = this.now();
    if (t - this.lastGcAt < interval) return live;
    this.lastGcAt = t;
    collect();
    return this.probes.liveMemory();
  }

  /** Refuses when live memory plus `bytes` would pass the soft limit. */
  private memoryRefusal(bytes: number): AdmissionRefused | undefined {
    const live = this.liveMemory(bytes);
    if (live + bytes <= this.limits.softLimitBytes) return undefined;
    return new AdmissionRefused(
      'memory_limit',
      `memory usage ${mib(live)} + ${mib(bytes)} for this request is above the soft limit of ${mib(this.limits.softLimitBytes)}`,
      ADMISSION_RETRY_AFTER_SECONDS,
    );
  }
}
