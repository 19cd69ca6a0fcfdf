import { describe, expect, it } from 'vitest';
import { ConsumerError } from '../../component/consumer-error.js';
import { anyValueToJs, idToHex, spanCount, type Span, type TraceData } from '../../pdata/model.js';
import { encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { nullLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { RecordingExporter } from '../../service/testkit.js';
import { defaultReparentConfig, type ReparentConfig } from './config.js';
import { reparentObserver, reparentProcessorFactory } from './factory.js';
import { ORIGINAL_PARENT_ATTRIBUTE, ORIGINAL_TRACE_ATTRIBUTE, ReparentProcessor } from './processor.js';
import {
  GATEWAY_SPAN, ID, request, SPANS, TORN_ID, TORN_TRACE, TRACE, tornRequest, type SpanName, type TornName,
} from '../../../test/fixtures/healed/request.js';

const never = new AbortController().signal;

function setup(cfg: Partial<ReparentConfig> = {}) {
  const metrics = new CollectorMetrics();
  const sink = new RecordingExporter('sink');
  let clock = 1_000_000;
  const settings = { id: 'reparent', logger: nullLogger(), metrics };
  // The factory's metrics wiring, with a test clock driven by advance() instead of the timer.
  const q = new ReparentProcessor({ ...defaultReparentConfig, ...cfg }, settings, sink, reparentObserver(metrics, 'reparent'), () => clock);
  return {
    p: q,
    sink,
    metrics,
    advance: async (ms: number) => {
      clock += ms;
      await q.tick();
    },
  };
}

async function metric(metrics: CollectorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return (v?.value as number) ?? 0;
}

/** Every span the sink received, by hex ID (a span received twice is an error). */
function delivered(sink: RecordingExporter): Map<string, Span> {
  const m = new Map<string, Span>();
  for (const td of sink.received) {
    for (const rs of td.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          const id = idToHex(s.spanId);
          if (m.has(id)) throw new Error(`span ${id} delivered twice`);
          m.set(id, s);
        }
      }
    }
  }
  return m;
}

const parentOf = (s: Span | undefined): string => idToHex(s?.parentSpanId);
const attr = (s: Span, key: string): unknown => anyValueToJs(s.attributes.find((kv) => kv.key === key)?.value);

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/** Checks the healed request's outcome: both healed spans under the SERVER span, the rest untouched. */
function expectHealedTree(sink: RecordingExporter): void {
  const out = delivered(sink);
  expect(parentOf(out.get(ID.toDetails))).toBe(ID.server);
  expect(parentOf(out.get(ID.toReviews))).toBe(ID.server);
  expect(attr(out.get(ID.toDetails)!, ORIGINAL_PARENT_ATTRIBUTE)).toBe(GATEWAY_SPAN);
  expect(parentOf(out.get(ID.server))).toBe(GATEWAY_SPAN);
  for (const decoy of ['otherPod', 'otherRequest'] as const) {
    if (out.has(ID[decoy])) expect(parentOf(out.get(ID[decoy]))).toBe(GATEWAY_SPAN);
  }
}

describe('a healed request in every arrival order', () => {
  // Each export holds one span; the decoys come first so they are remembered before anything else.
  const orders = permutations<SpanName>(['server', 'toDetails', 'toReviews']);
  it.each(orders.map((o) => [o.join(' → '), o] as const))('%s: both healed spans end up under the SERVER span', async (_label, order) => {
    const { p, sink, metrics } = setup();
    await p.consumeTraces(request('otherPod', 'otherRequest'));
    for (const name of order) await p.consumeTraces(request(name));
    expectHealedTree(sink);
    expect(delivered(sink).size).toBe(5);
    expect(p.pendingSpans).toBe(0);
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { outcome: 'reparented' })).toBe(2);
  });

  it.each([
    ['all in one export, clients first', ['toDetails', 'toReviews', 'server', 'otherPod', 'otherRequest']],
    ['all in one export, server first', ['otherRequest', 'server', 'otherPod', 'toReviews', 'toDetails']],
  ] as [string, SpanName[]][])('%s', async (_label, names) => {
    const { p, sink } = setup();
    await p.consumeTraces(request(...names));
    expectHealedTree(sink);
    expect(sink.received.length).toBe(1);
    expect(p.pendingSpans).toBe(0);
  });

  it('clients in one export, their SERVER span with the decoys in the next: the held spans go out with it', async () => {
    const { p, sink } = setup();
    await p.consumeTraces(request('toReviews', 'toDetails'));
    expect(sink.received.length).toBe(0); // all held: no empty export is passed on
    expect(p.pendingSpans).toBe(2);
    await p.consumeTraces(request('otherPod', 'server', 'otherRequest'));
    expect(sink.received.length).toBe(1);
    expect(spanCount(sink.received[0]!)).toBe(5);
    expectHealedTree(sink);
  });

  it('a second collector tier changes nothing: the output of one reparent through another is the same', async () => {
    const first = setup();
    await first.p.consumeTraces(request('toDetails', 'toReviews'));
    await first.p.consumeTraces(request('server', 'otherPod'));
    const second = setup();
    for (const td of first.sink.received) await second.p.consumeTraces(td);
    expectHealedTree(second.sink);
    const details = delivered(second.sink).get(ID.toDetails)!;
    expect(details.attributes.filter((kv) => kv.key === ORIGINAL_PARENT_ATTRIBUTE)).toHaveLength(1);
    expect(second.p.pendingSpans).toBe(0);
  });

  it('only healed spans wait: everything else passes at once, untouched byte for byte', async () => {
    const { p, sink } = setup();
    const td = request('server', 'otherPod', 'otherRequest');
    const before = Buffer.from(encodeTraceRequest(td));
    await p.consumeTraces(td);
    expect(sink.received.length).toBe(1);
    expect(Buffer.from(encodeTraceRequest(sink.received[0]!)).equals(before)).toBe(true);
  });
});

describe('spans of another pod or another request are left alone', () => {
  it('a healed span whose only same-ID SERVER spans are another pod\'s or another request\'s stays as it was, after the wait', async () => {
    const { p, sink, metrics, advance } = setup({ waitMs: 5000 });
    await p.consumeTraces(request('otherPod', 'otherRequest', 'toDetails'));
    expect(p.pendingSpans).toBe(1);
    await advance(4999);
    expect(p.pendingSpans).toBe(1);
    await advance(1);
    expect(p.pendingSpans).toBe(0);
    const out = delivered(sink);
    expect(parentOf(out.get(ID.toDetails))).toBe(GATEWAY_SPAN);
    expect(attr(out.get(ID.toDetails)!, ORIGINAL_PARENT_ATTRIBUTE)).toBeUndefined();
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { outcome: 'unmatched' })).toBe(1);
  });

  it('a healed span of another trace with a request ID that is not a UUID is not put under this trace\'s SERVER span', async () => {
    const { p, sink, advance } = setup({ waitMs: 1000 });
    const server = request('server');
    const other = request('toDetails');
    for (const td of [server, other]) {
      for (const kv of td.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes) if (kv.key === 'guid:x-request-id') kv.value = { stringValue: 'req-42' };
    }
    other.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    await p.consumeTraces(server);
    await p.consumeTraces(other);
    await advance(1000);
    expect(parentOf(delivered(sink).get(ID.toDetails))).toBe(GATEWAY_SPAN);
    expect(idToHex(delivered(sink).get(ID.toDetails)!.traceId)).toBe('0123456789abcdef0123456789abcdef');
  });

  it('a SERVER span that started after the healed span is not its parent; at the end of the wait one that ended before it is (a call after answering)', async () => {
    const { p, sink, advance } = setup({ waitMs: 1000 });
    const late = request('server');
    const s = late.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    s.startTimeUnixNano = (s.startTimeUnixNano as number) + 30e6; // 130–230 ms: starts after the details call
    await p.consumeTraces(late);
    await p.consumeTraces(request('toDetails'));
    expect(p.pendingSpans).toBe(1);
    const early = request('server');
    const e = early.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    e.spanId = Buffer.from('6a8c0e2a4c6e8a0c', 'hex');
    e.startTimeUnixNano = (e.startTimeUnixNano as number) - 90e6; // 10–110 ms: over before the call at 120 ms
    e.endTimeUnixNano = (e.endTimeUnixNano as number) - 90e6;
    await p.consumeTraces(early);
    expect(p.pendingSpans).toBe(1); // not running at the call's start: no match on arrival
    await advance(1000);
    expect(parentOf(delivered(sink).get(ID.toDetails))).toBe('6a8c0e2a4c6e8a0c');
  });

  it('healed tags it cannot key on pass at once, counted', async () => {
    const { p, sink, metrics } = setup();
    const td = request('toDetails', 'server');
    const [a, b] = td.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
    a!.attributes = a!.attributes.filter((kv) => kv.key !== 'node_id');
    b!.attributes.push({ key: 'meshtrace.healed', value: { stringValue: 'true' } }); // a SERVER span marked healed
    await p.consumeTraces(td);
    expect(p.pendingSpans).toBe(0);
    expect(parentOf(delivered(sink).get(ID.toDetails))).toBe(GATEWAY_SPAN);
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { outcome: 'unkeyed' })).toBe(2);
  });
});

describe('the window\'s memory bound', () => {
  function healedBatch(n: number, offset: number): TraceData {
    const td = request(...Array.from({ length: n }, () => 'toDetails' as const));
    let i = offset;
    for (const s of td.resourceSpans[0]!.scopeSpans[0]!.spans) {
      s.spanId = Buffer.from((++i).toString(16).padStart(16, '0'), 'hex');
      // A different request each: nothing will ever match.
      for (const kv of s.attributes) if (kv.key === 'guid:x-request-id') kv.value = { stringValue: `r-${i}` };
    }
    return td;
  }

  it('holds at most max_pending_spans healed spans; the oldest go on unchanged, counted, none lost', async () => {
    const { p, sink, metrics, advance } = setup({ maxPendingSpans: 100, waitMs: 1000 });
    for (let b = 0; b < 10; b++) {
      await p.consumeTraces(healedBatch(100, b * 100));
      expect(p.pendingSpans).toBeLessThanOrEqual(100);
    }
    expect(sink.spans).toBe(900);
    // The evicted are the oldest, unchanged.
    const out = delivered(sink);
    expect(out.has('0000000000000001')).toBe(true);
    expect(out.has('00000000000003e8')).toBe(false);
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { outcome: 'evicted' })).toBe(900);
    expect(await metric(metrics, 'meshtrace_processor_reparent_pending_spans', { processor: 'reparent' })).toBe(100);
    await advance(1000);
    expect(sink.spans).toBe(1000);
    expect(p.pendingSpans).toBe(0);
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { outcome: 'unmatched' })).toBe(100);
  });

  it('remembers at most max_server_spans SERVER spans, forgetting the oldest (counted), and forgets them after the wait', async () => {
    const { p, metrics, advance } = setup({ maxServerSpans: 50, waitMs: 1000 });
    for (let i = 0; i < 500; i++) {
      const td = request('server');
      const s = td.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
      s.spanId = Buffer.from((i + 1).toString(16).padStart(16, '0'), 'hex');
      for (const kv of s.attributes) if (kv.key === 'guid:x-request-id') kv.value = { stringValue: `r-${i}` };
      await p.consumeTraces(td);
      expect(p.rememberedServerSpans).toBeLessThanOrEqual(50);
    }
    await advance(0); // the gauges and this counter follow at the next tick
    expect(await metric(metrics, 'meshtrace_processor_reparent_server_spans_forgotten_total', { processor: 'reparent' })).toBe(450);
    expect(await metric(metrics, 'meshtrace_processor_reparent_server_spans', { processor: 'reparent' })).toBe(50);
    await advance(1000);
    expect(p.rememberedServerSpans).toBe(0);
  });

  it('the same SERVER span twice (a client\'s retry) is remembered once', async () => {
    const { p } = setup();
    await p.consumeTraces(request('server'));
    await p.consumeTraces(request('server'));
    expect(p.rememberedServerSpans).toBe(1);
  });
});

describe('nothing lost', () => {
  it('at shutdown every held span goes on (under its SERVER span if one is known), then spans pass straight through', async () => {
    const { p, sink, metrics } = setup();
    await p.consumeTraces(request('toDetails', 'toReviews'));
    const early = request('server');
    const e = early.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    e.endTimeUnixNano = (e.endTimeUnixNano as number) - 70e6; // 100–130 ms: over before the reviews call
    await p.consumeTraces(early);
    expect(p.pendingSpans).toBe(1); // details matched on arrival, reviews (150 ms) did not
    await p.shutdown(never);
    expect(p.pendingSpans).toBe(0);
    const out = delivered(sink);
    expect(parentOf(out.get(ID.toReviews))).toBe(ID.server); // latest SERVER span before it
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { outcome: 'reparented' })).toBe(2);
    await p.consumeTraces(request('toDetails'));
    expect(sink.received.at(-1)!.resourceSpans.length).toBe(1); // passed through, not held
  });

  it('held spans with no SERVER span go on unchanged at shutdown, counted', async () => {
    const { p, sink, metrics } = setup();
    await p.consumeTraces(request('toDetails', 'toReviews'));
    await p.shutdown(never);
    expect(sink.spans).toBe(2);
    expect(parentOf(delivered(sink).get(ID.toDetails))).toBe(GATEWAY_SPAN);
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { outcome: 'shutdown' })).toBe(2);
  });

  it('a downstream that keeps refusing until the shutdown deadline: the held spans are counted as dropped', async () => {
    const { p, sink, metrics } = setup();
    await p.consumeTraces(request('toDetails', 'toReviews'));
    sink.refuse = { times: Infinity, error: ConsumerError.retryable('full', 'queue_full') };
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    await p.shutdown(ctl.signal);
    expect(await metric(metrics, 'meshtrace_spans_dropped_total', { component: 'reparent', reason: 'shutdown_deadline' })).toBe(2);
  });

  it('a refused export: its own healed spans are not kept (the sender resends), the held ones going with it are held again', async () => {
    const { p, sink } = setup();
    await p.consumeTraces(request('toDetails'));
    expect(p.pendingSpans).toBe(1);
    sink.refuse = { times: 1, error: ConsumerError.retryable('full', 'queue_full') };
    await expect(p.consumeTraces(request('server', 'toReviews'))).rejects.toThrow('full');
    expect(p.pendingSpans).toBe(1); // details again; reviews was matched in place, and is the sender's
    await p.consumeTraces(request('server', 'toReviews')); // the sender's retry
    expectHealedTree(sink);
    expect(delivered(sink).size).toBe(3);
  });

  it('at the end of the wait a refusing downstream: the spans are held and tried again at the next tick', async () => {
    const { p, sink, advance } = setup({ waitMs: 1000 });
    await p.consumeTraces(request('toDetails'));
    sink.refuse = { times: 1, error: ConsumerError.retryable('full', 'queue_full') };
    await advance(1000);
    expect(p.pendingSpans).toBe(1);
    await advance(100);
    expect(p.pendingSpans).toBe(0);
    expect(sink.spans).toBe(1);
  });
});

describe('across traces: a healed request\'s own trace joins the healed trace', () => {
  const traceOf = (sp: Span | undefined): string => idToHex(sp?.traceId);
  const aliasMetric = (metrics: CollectorMetrics, outcome: string) => metric(metrics, 'meshtrace_processor_reparent_trace_alias_spans_total', { outcome });

  /** The healed call and everything below it in TRACE, the call under productpage's SERVER span. */
  function expectJoined(sink: RecordingExporter): void {
    const out = delivered(sink);
    for (const name of ['toReviews', 'reviewsServer', 'reviewsApp'] as TornName[]) {
      expect(traceOf(out.get(TORN_ID[name])), name).toBe(TRACE);
      expect(attr(out.get(TORN_ID[name])!, ORIGINAL_TRACE_ATTRIBUTE), name).toBe(TORN_TRACE);
    }
    expect(parentOf(out.get(TORN_ID.toReviews))).toBe(ID.server);
    expect(attr(out.get(TORN_ID.toReviews)!, ORIGINAL_PARENT_ATTRIBUTE)).toBeUndefined(); // it was a root: no parent to keep
    expect(parentOf(out.get(TORN_ID.reviewsServer))).toBe(TORN_ID.toReviews);
    expect(parentOf(out.get(TORN_ID.reviewsApp))).toBe(TORN_ID.reviewsServer);
    expect(traceOf(out.get(ID.server))).toBe(TRACE);
  }

  // Every order in which the tagged spans come first or with their trace's first span: all joined.
  const orders: TornName[][] = [['toReviews', 'reviewsServer', 'reviewsApp'], ['reviewsServer', 'reviewsApp', 'toReviews'], ['reviewsServer', 'toReviews', 'reviewsApp']];
  it.each(orders.map((o) => [o.join(' → '), o] as const))('%s (productpage\'s SERVER span last): one trace, the right tree', async (_label, order) => {
    const { p, sink, metrics } = setup();
    for (const name of order) await p.consumeTraces(tornRequest(name));
    await p.consumeTraces(request('server'));
    expectJoined(sink);
    expect(p.pendingSpans).toBe(0);
    expect(p.traceAliases).toBe(1);
    expect(await aliasMetric(metrics, 'tagged')).toBe(2);
    expect(await aliasMetric(metrics, 'learned')).toBe(1);
    expect(await aliasMetric(metrics, 'passed_before_alias')).toBe(0);
  });

  it('the application span first, alone: it went out before the alias was known (counted); the rest is joined', async () => {
    const { p, sink, metrics } = setup();
    await p.consumeTraces(tornRequest('reviewsApp'));
    await p.consumeTraces(tornRequest('reviewsServer', 'toReviews'));
    await p.consumeTraces(request('server'));
    const out = delivered(sink);
    expect(traceOf(out.get(TORN_ID.reviewsApp))).toBe(TORN_TRACE);
    expect(traceOf(out.get(TORN_ID.reviewsServer))).toBe(TRACE);
    expect(parentOf(out.get(TORN_ID.toReviews))).toBe(ID.server);
    expect(await aliasMetric(metrics, 'passed_before_alias')).toBe(1);
  });

  it('in one export, the untagged span before the tagged ones moves too (and is not counted as gone)', async () => {
    const { p, sink, metrics } = setup();
    await p.consumeTraces(tornRequest('reviewsApp', 'server', 'reviewsServer', 'toReviews'));
    expectJoined(sink);
    expect(sink.received.length).toBe(1);
    expect(await aliasMetric(metrics, 'passed_before_alias')).toBe(0);
    expect(await aliasMetric(metrics, 'learned')).toBe(1);
  });

  it('without the healed_trace tag, the healed span matched to its SERVER span in another trace teaches the alias', async () => {
    for (const serverFirst of [true, false]) {
      const { p, sink, metrics } = setup();
      if (serverFirst) await p.consumeTraces(request('server'));
      await p.consumeTraces(tornRequest('toReviewsUntagged'));
      if (!serverFirst) {
        expect(p.pendingSpans).toBe(1);
        await p.consumeTraces(request('server'));
      }
      const reviews = tornRequest('reviewsServer', 'reviewsApp');
      for (const kv of reviews.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes) if (kv.key === 'meshtrace.healed_trace') kv.key = 'untagged';
      await p.consumeTraces(reviews);
      expectJoined(sink);
      expect(await aliasMetric(metrics, 'matched')).toBe(1);
      expect(await aliasMetric(metrics, 'learned')).toBe(2);
      expect(await aliasMetric(metrics, 'passed_before_alias')).toBe(0);
    }
  });

  it('a held healed span whose trace is aliased while it waits goes out in the healed trace', async () => {
    const { p, sink, advance } = setup({ waitMs: 1000 });
    const held = tornRequest('toReviewsUntagged');
    for (const kv of held.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes) if (kv.key === 'guid:x-request-id') kv.value = { stringValue: 'f00dcafe-0000-4000-8000-000000000000' };
    await p.consumeTraces(held);
    expect(p.pendingSpans).toBe(1);
    await p.consumeTraces(tornRequest('reviewsServer')); // teaches T2 → TRACE
    await advance(1000);
    expect(traceOf(delivered(sink).get(TORN_ID.toReviews))).toBe(TRACE);
  });

  it('chains: T3 → T2 learned first, T2 → T1 later: T3\'s later spans go to T1', async () => {
    const { p, sink } = setup();
    const T3 = '33333333333333333333333333333333';
    const deeper = tornRequest('reviewsApp');
    const d = deeper.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    d.traceId = Buffer.from(T3, 'hex');
    d.kind = 3;
    d.attributes.push({ key: 'meshtrace.healed_trace', value: { stringValue: TORN_TRACE } });
    await p.consumeTraces(deeper);
    await p.consumeTraces(tornRequest('reviewsServer'));
    const later = tornRequest('reviewsApp');
    const l = later.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    l.traceId = Buffer.from(T3, 'hex');
    l.spanId = Buffer.from('9999999999999999', 'hex');
    await p.consumeTraces(later);
    expect(traceOf(delivered(sink).get('9999999999999999'))).toBe(TRACE);
  });

  it.each([
    ['upper-case hex', TRACE.toUpperCase(), TRACE],
    ['too short', TRACE.slice(1), TORN_TRACE],
    ['all zero', '0'.repeat(32), TORN_TRACE],
    ['not hex', `${TRACE.slice(1)}z`, TORN_TRACE],
    ['its own trace', TORN_TRACE, TORN_TRACE],
  ])('a healed_trace tag that is %s: the span ends up in %s', async (_name, value, want) => {
    const { p, sink } = setup();
    const td = tornRequest('reviewsServer');
    for (const kv of td.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes) if (kv.key === 'meshtrace.healed_trace') kv.value = { stringValue: value };
    await p.consumeTraces(td);
    expect(traceOf(delivered(sink).get(TORN_ID.reviewsServer))).toBe(want);
  });

  it('spans of other traces pass untouched byte for byte while aliases are known', async () => {
    const { p, sink } = setup();
    await p.consumeTraces(tornRequest('reviewsServer'));
    const td = request('otherPod', 'otherRequest');
    const before = Buffer.from(encodeTraceRequest(td));
    await p.consumeTraces(td);
    expect(Buffer.from(encodeTraceRequest(sink.received.at(-1)!)).equals(before)).toBe(true);
  });

  it('at most max_trace_aliases, the oldest forgotten (counted); an alias is kept trace_alias_ttl after it was last confirmed', async () => {
    const { p, metrics, advance } = setup({ maxTraceAliases: 3, traceAliasTtlMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      const td = tornRequest('reviewsServer');
      td.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId = Buffer.from((i + 1).toString(16).padStart(32, '0'), 'hex');
      await p.consumeTraces(td);
      expect(p.traceAliases).toBeLessThanOrEqual(3);
    }
    expect(await metric(metrics, 'meshtrace_processor_reparent_trace_aliases_forgotten_total', { processor: 'reparent' })).toBe(2);
    expect(await metric(metrics, 'meshtrace_processor_reparent_trace_aliases', { processor: 'reparent' })).toBe(3);
    await advance(6_000);
    const again = tornRequest('reviewsServer'); // confirms the alias of trace 5
    again.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId = Buffer.from((5).toString(16).padStart(32, '0'), 'hex');
    await p.consumeTraces(again);
    await advance(5_000); // 11 s: traces 3 and 4 are over, 5 was confirmed at 6 s
    expect(p.traceAliases).toBe(1);
    await advance(5_000);
    expect(p.traceAliases).toBe(0);
  });

  it('stays bounded over a long run of distinct healed traces', async () => {
    const { p } = setup({ maxTraceAliases: 100 });
    for (let i = 0; i < 5_000; i++) {
      const td = tornRequest('reviewsServer');
      td.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId = Buffer.from((i + 1).toString(16).padStart(32, '0'), 'hex');
      await p.consumeTraces(td);
    }
    expect(p.traceAliases).toBe(100);
  });
});

describe('factory', () => {
  it('creates a processor whose timer passes held spans on by itself', async () => {
    const metrics = new CollectorMetrics();
    const sink = new RecordingExporter('sink');
    const p = reparentProcessorFactory.create({ ...defaultReparentConfig, waitMs: 50 }, { id: 'reparent/x', logger: nullLogger(), metrics }, sink);
    await p.start({ health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 0 }, getExtension: () => undefined });
    await p.consumeTraces(request('toDetails'));
    expect(p.pendingSpans).toBe(1);
    // The wait is a deadline, not a speed: 50 ms plus at most one 10 ms tick, waited for generously.
    await new Promise((r) => setTimeout(r, 400));
    expect(sink.spans).toBe(1);
    await p.shutdown(never);
    expect(await metric(metrics, 'meshtrace_processor_reparent_spans_total', { processor: 'reparent/x', outcome: 'unmatched' })).toBe(1);
  });
});
