import { describe, expect, it } from 'vitest';
import { AdmissionRefused } from '../component/admission.js';
import { AdmissionController, MIN_FORCED_GC_SPACING_MS, type AdmissionLimits } from './admission.js';

const MiB = 1024 * 1024;

function controller(over: Partial<AdmissionLimits> = {}, live = () => 0, collectGarbage?: () => void, now?: () => number) {
  return new AdmissionController(
    {
      requestLimitBytes: 100,
      waitingLimitBytes: 50,
      softLimitBytes: 1000 * MiB,
      hardLimitBytes: 1200 * MiB,
      maxSpansPerRequest: 10,
      minGcIntervalSoftMs: 10_000,
      minGcIntervalHardMs: 1_000,
      ...over,
    },
    { liveMemory: live, collectGarbage, now },
  );
}

async function refusal(p: Promise<unknown>): Promise<AdmissionRefused> {
  const r = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(r).toBeInstanceOf(AdmissionRefused);
  return r as AdmissionRefused;
}

describe('admission control (bytes, with a bounded waiting line)', () => {
  it('admits at once while the limit allows, and gives room back on release', async () => {
    const a = controller();
    const g1 = await a.acquire(60);
    const g2 = await a.acquire(40);
    expect(a.inFlightBytes).toBe(100);
    g1.release();
    g1.release(); // idempotent
    expect(a.inFlightBytes).toBe(40);
    g2.release();
    expect(a.inFlightBytes).toBe(0);
  });

  it('refuses for good what can never fit, retryably what cannot wait', async () => {
    const a = controller();
    const big = await refusal(a.acquire(101));
    expect(big).toMatchObject({ reason: 'too_large', retryable: false, retryAfterSeconds: 0 });
    const g = await a.acquire(100);
    const w1 = a.acquire(30); // waits (30 ≤ 50)
    const full = await refusal(a.acquire(30)); // 30 + 30 > 50 waiting
    expect(full).toMatchObject({ reason: 'waiting_limit', retryable: true, retryAfterSeconds: 1 });
    expect(a.waitingLineBytes).toBe(30);
    g.release();
    (await w1).release();
    expect(a.inFlightBytes).toBe(0);
    expect(a.waitingLineBytes).toBe(0);
  });

  it('serves the waiting line first come, first served, as room is released', async () => {
    const a = controller({ waitingLimitBytes: 100 });
    const g = await a.acquire(90);
    const order: number[] = [];
    const w1 = a.acquire(50).then((x) => (order.push(1), x));
    const w2 = a.acquire(10).then((x) => (order.push(2), x)); // would fit now, but waits its turn
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]);
    g.release();
    const [g1, g2] = await Promise.all([w1, w2]);
    expect(order).toEqual([1, 2]);
    expect(a.inFlightBytes).toBe(60);
    g1.release();
    g2.release();
  });

  it('a waiter gives up at its deadline, and the line moves on', async () => {
    const a = controller({ waitingLimitBytes: 100 });
    const g = await a.acquire(100);
    const ctl = new AbortController();
    const w = a.acquire(10, ctl.signal);
    ctl.abort();
    expect(await refusal(w)).toMatchObject({ reason: 'admission_timeout', retryable: true });
    expect(a.waitingLineBytes).toBe(0);
    await expect(refusal(a.acquire(10, AbortSignal.abort()))).resolves.toMatchObject({ reason: 'admission_timeout' });
    // A wait in milliseconds: its timer is set only when the request has to wait.
    const t0 = Date.now();
    expect(await refusal(a.acquire(10, 50))).toMatchObject({ reason: 'admission_timeout' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    const served = a.acquire(10, 10_000);
    g.release();
    (await served).release();
    expect(a.inFlightBytes).toBe(0);
  });

  it('a grant grows without waiting, within the limit', async () => {
    const a = controller();
    const g = await a.acquire(10);
    expect(g.grow(50)).toBeUndefined();
    expect(g.bytes).toBe(60);
    const other = await a.acquire(30);
    expect(g.grow(20)).toMatchObject({ reason: 'waiting_limit', retryable: true });
    expect(g.grow(50)).toMatchObject({ reason: 'too_large', retryable: false });
    expect(g.bytes).toBe(60);
    g.release();
    other.release();
    expect(a.inFlightBytes).toBe(0);
  });

  it('refuses when live memory plus the request passes the soft limit, forcing a collection first (spaced)', async () => {
    let live = 990 * MiB;
    let collections = 0;
    let t = 0;
    const a = controller({ requestLimitBytes: 100 * MiB, waitingLimitBytes: 0 }, () => live, () => collections++, () => t);
    expect(await refusal(a.acquire(20 * MiB))).toMatchObject({ reason: 'memory_limit', retryable: true });
    expect(collections).toBe(1);
    t += MIN_FORCED_GC_SPACING_MS - 1;
    await refusal(a.acquire(20 * MiB));
    expect(collections).toBe(1); // too soon
    t += 10_000;
    await refusal(a.acquire(20 * MiB));
    expect(collections).toBe(2);
    // When the collection frees the garbage, the request is admitted.
    const a2 = controller({ requestLimitBytes: 100 * MiB }, () => live, () => (live = 100 * MiB), () => t);
    const ok = await a2.acquire(20 * MiB);
    expect(ok.bytes).toBe(20 * MiB);
    // A grant that would grow past the soft limit is refused too.
    live = 995 * MiB;
    expect(ok.grow(10 * MiB)).toMatchObject({ reason: 'memory_limit' });
  });

  it('transport bytes held past the limit stop reading until room is released', async () => {
    const a = controller();
    a.holdBytes(120);
    expect(a.over()).toBe(true);
    let resumed = 0;
    a.onRoom(() => resumed++);
    a.holdBytes(-10);
    expect(resumed).toBe(0); // still over
    a.holdBytes(-50);
    expect(resumed).toBe(1);
    expect(a.over()).toBe(false);
    // meanwhile requests were refused or waited
    const w = a.acquire(50);
    a.holdBytes(-60);
    (await w).release();
    expect(a.inFlightBytes).toBe(0);
  });
});
