import { describe, expect, it } from 'vitest';
import Long from 'long';
import type { AnyValue } from '../../pdata/model.js';
import { isHealedValue, isUsableRequestId, isUuidRequestId, requestKeyHash, sameRequestId } from './request-key.js';

const ID = '7c1f0a9e-4b7d-9a51-8d2e-0b6f3c2a1d90';

describe('sameRequestId: equal but for index 14 (Envoy\'s trace decision), hex in any case', () => {
  it.each([
    [ID, ID, true],
    [ID, '7c1f0a9e-4b7d-4a51-8d2e-0b6f3c2a1d90', true], // sampled 9 → not 4
    [ID, '7c1f0a9e-4b7d-aa51-8d2e-0b6f3c2a1d90', true], // forced
    [ID, '7c1f0a9e-4b7d-ba51-8d2e-0b6f3c2a1d90', true], // client-forced
    [ID, ID.toUpperCase(), true],
    [ID, '7c1f0a9e-4b7d-9a52-8d2e-0b6f3c2a1d90', false], // index 18
    [ID, '7c1f0a9e-4b7e-9a51-8d2e-0b6f3c2a1d90', false], // index 13
    [ID, '7c1f0a9e-4b7d-9a51-8d2e-0b6f3c2a1d9', false], // shorter
    ['abc', 'abc', true], // not a UUID: compared whole
    ['abc', 'abd', false],
    ['', '', true],
  ] as [string, string, boolean][])('%j vs %j → %j', (a, b, want) => {
    expect(sameRequestId(a, b)).toBe(want);
    expect(sameRequestId(b, a)).toBe(want);
  });
});

describe('requestKeyHash', () => {
  it('agrees wherever sameRequestId does, and depends on the request only (a healed span and its SERVER span may be in two traces)', () => {
    const h = requestKeyHash(ID);
    expect(requestKeyHash('7c1f0a9e-4b7d-4a51-8d2e-0b6f3c2a1d90')).toBe(h);
    expect(requestKeyHash(ID.toUpperCase())).toBe(h);
    expect(requestKeyHash('7c1f0a9e-4b7d-9a51-8d2e-0b6f3c2a1d91')).not.toBe(h);
    expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
  });

  it('spreads 100,000 distinct requests over nearly as many hashes (the buckets stay short)', () => {
    const hashes = new Set<number>();
    for (let i = 0; i < 100_000; i++) hashes.add(requestKeyHash(`7c1f0a9e-4b7d-9a51-8d2e-${i.toString(16).padStart(12, '0')}`));
    expect(hashes.size).toBeGreaterThan(99_990);
  });
});

describe('isUuidRequestId: the IDs matched across traces', () => {
  it.each([
    [ID, true], [ID.toUpperCase(), true], ['00000000-0000-0000-0000-000000000000', true],
    [ID.replaceAll('-', ''), false], [`${ID}0`, false], ['7c1f0a9e-4b7d-9a51-8d2e-0b6f3c2a1d9g', false],
    ['7c1f0a9e_4b7d-9a51-8d2e-0b6f3c2a1d90', false], ['req-1', false], ['', false],
  ] as [string, boolean][])('%j → %j', (v, want) => {
    expect(isUuidRequestId(v)).toBe(want);
  });
});

describe('isHealedValue: meshtrace.healed as Istio records the header, or typed', () => {
  it.each([
    [{ stringValue: '1' }, true],
    [{ stringValue: 'true' }, true],
    [{ stringValue: 'TRUE' }, true],
    [{ boolValue: true }, true],
    [{ intValue: 1 }, true],
    [{ intValue: Long.fromNumber(1) }, true],
    [{ stringValue: '0' }, false],
    [{ stringValue: '' }, false],
    [{ stringValue: 'yes' }, false],
    [{ stringValue: '11' }, false],
    [{ boolValue: false }, false],
    [{ intValue: 2 }, false],
    [{ doubleValue: 1 }, false],
    [undefined, false],
  ] as [AnyValue | undefined, boolean][])('%j → %j', (v, want) => {
    expect(isHealedValue(v)).toBe(want);
  });
});

describe('isUsableRequestId', () => {
  it.each([[ID, true], ['x', true], ['', false], ['-', false], [undefined, false]] as [string | undefined, boolean][])('%j → %j', (v, want) => {
    expect(isUsableRequestId(v)).toBe(want);
  });
});
