// Healing torn traces (issue 11), the part that talks to the host: remember the context of an
// inbound request under its x-request-id in proxy-wasm shared data, and look it up for an
// outbound request of the same ID that arrived without a context. One host call each way.
//
// Shared data is shared by every VM of the plugin's vm_id in the Envoy process — every worker
// thread, the inbound and the outbound listeners alike — and never expires or shrinks. So the
// store is a fixed set of slots (`heal_slots` keys `meshtrace.heal.<n in hex>`, chosen by a hash of
// the request ID): a new entry overwrites its slot, nothing grows; an entry records its time and
// is ignored once older than `heal_ttl_seconds`. Time comes from a coarse clock the root context
// updates once a second on proxy_on_tick, so requests make no clock call.
//
// An entry is written with one proxy_set_shared_data and a CAS of 0: the host replaces the value
// atomically (SharedData::set holds a lock), so a reader on another worker sees either the old or
// the new entry, never a mix, and the last writer wins — for a cache of the latest requests that
// is the right rule. A compare-and-swap against the slot's current token would first need its
// token (a proxy_get_shared_data), a second host call on every inbound request; entries carry
// their full key instead, so a slot overwritten by another request reads as a miss, never as a
// wrong context.
import { ByteBuffer, ByteString, HostBlock, WasmResult, getSharedDataBytes, setSharedDataBytes } from "../proxy-wasm";
import { ParsedContext } from "../tracecontext/context";
import { ValueList } from "../tracecontext/tracestate";
import { requestIdKey, slotOf, KEY_LENGTH } from "./request-id";
import { writeEntry, readEntry, RememberedContext, ENTRY_OK, MAX_ENTRY_LENGTH } from "./entry";
import { hexDigit } from "../tracecontext/chars";

/** Outcome of a lookup. */
export const LOOKUP_NONE: i32 = 0; // nothing looked up (no usable request ID)
export const LOOKUP_HIT: i32 = 1;
export const LOOKUP_MISS: i32 = 2;
export const LOOKUP_EXPIRED: i32 = 3;

const KEY_PREFIX: ByteString = new ByteString("meshtrace.heal.");

@unmanaged export class Healer {
  /** The coarse clock, ms since the epoch (set at configure and on every tick). */
  nowMs: u64 = 0;
  /** The alias the current request must carry (32 bytes, valid until release()), or 0 (heal-request.ts). */
  aliasOut: usize = 0;
  /** What the last LOOKUP_HIT found; valid until release(). */
  readonly remembered: RememberedContext = new RememberedContext();
  private readonly key: ByteBuffer = new ByteBuffer(<usize>KEY_LENGTH);
  private readonly slotKey: ByteBuffer = new ByteBuffer(32);
  private slotKeyLen: i32 = 0;
  private readonly entry: ByteBuffer = new ByteBuffer(<usize>MAX_ENTRY_LENGTH);
  private readonly block: HostBlock = new HostBlock();

  /**
   * Remembers context `a` (what the inbound request continues, its tracestate in `tracestate`)
   * and the healed trace's alias the request carried (32 bytes at aliasAt, or 0) under the request
   * ID (idLen bytes at idAt). One host call; none when the ID is not a UUID. Returns whether it
   * was written.
   */
  remember(idAt: usize, idLen: i32, slots: u32, a: ParsedContext, tracestate: ValueList | null, aliasAt: usize): bool {
    if (!this.slotFor(idAt, idLen, slots)) return false;
    const len = writeEntry(this.entry.base, this.key.base, this.nowMs, a, tracestate, aliasAt);
    return setSharedDataBytes(this.slotKey.base, this.slotKeyLen, this.entry.base, len, 0) == WasmResult.Ok;
  }

  /** Looks the request ID up (one host call; none when the ID is not a UUID). */
  lookup(idAt: usize, idLen: i32, slots: u32, ttlMs: u64): i32 {
    if (!this.slotFor(idAt, idLen, slots)) return LOOKUP_NONE;
    if (getSharedDataBytes(this.slotKey.base, this.slotKeyLen, this.block) != WasmResult.Ok) return LOOKUP_MISS;
    if (readEntry(this.block.ptr, this.block.len, this.key.base, this.remembered) != ENTRY_OK) return LOOKUP_MISS;
    // a slightly newer entry (another worker's clock ticked first) is fresh
    if (this.remembered.timeMs + ttlMs < this.nowMs) return LOOKUP_EXPIRED;
    return LOOKUP_HIT;
  }

  /** Frees what the last lookup fetched (after the headers that point into it are written). */
  release(): void {
    this.aliasOut = 0;
    this.block.free();
  }

  // The key of the ID into `key` and the shared-data key of its slot into `slotKey`.
  private slotFor(idAt: usize, idLen: i32, slots: u32): bool {
    if (!requestIdKey(idAt, idLen, this.key.base)) return false;
    const p = this.slotKey.base;
    memory.copy(p, KEY_PREFIX.ptr, <usize>KEY_PREFIX.len);
    this.slotKeyLen = KEY_PREFIX.len + writeHex(p + <usize>KEY_PREFIX.len, slotOf(this.key.base, slots));
    return true;
  }
}

/** Writes v in lower-case hex (no leading zeros) at p; returns the number of digits. */
function writeHex(p: usize, v: u32): i32 {
  const digits = v == 0 ? 1 : (35 - <i32>clz(v)) >> 2;
  for (let i = 0; i < digits; i++) store<u8>(p + <usize>i, <u8>hexDigit(<i32>(v >> (<u32>(digits - 1 - i) << 2)) & 15));
  return digits;
}
