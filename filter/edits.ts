// The request-header changes of one request, written back with the fewest host calls.
//
// Two ways to write n changes into Envoy's header map:
//   - one call per change: proxy_replace_header_map_value (replaces the first entry and drops
//     repeats, or appends when absent), proxy_remove_header_map_value (all entries); copies only
//     the changed names and values;
//   - one proxy_set_header_map_pairs with the whole edited map: one call, but every header of
//     the request crosses the boundary and Envoy rebuilds its map.
// We estimate both as bytes copied + HOST_CALL_COST_BYTES per call and take the cheaper.
// HOST_CALL_COST_BYTES: an empty host call costs ~85 ns in Envoy's V8, a small string copy
// ~230 ns (FACTS.md §1): a call is worth a few hundred bytes of copying. With 256 the common
// request (two stamps, ~60 bytes) writes individually (2 calls) rather than sending its ~1 KB
// map; from about five changes one set_header_map_pairs is cheaper; a request with very large
// headers keeps writing individually. The benchmark (bench/filter-bench.ts) shows both paths.
import { HeaderPairs, MapType, replaceHeaderMapValue, removeHeaderMapValue, setHeaderMapPairs, WasmResult } from "./proxy-wasm";

export const HOST_CALL_COST_BYTES: usize = 256;
const CAPACITY: i32 = 16;

const OP_SET: u8 = 1; // exactly one entry with this value (replaces repeats, appends when absent)
const OP_REMOVE: u8 = 2; // no entry

export class HeaderEdits {
  private ops: StaticArray<u8> = new StaticArray<u8>(CAPACITY);
  private names: StaticArray<string> = new StaticArray<string>(CAPACITY);
  private values: StaticArray<string> = new StaticArray<string>(CAPACITY);
  count: i32 = 0;

  reset(): void {
    this.count = 0;
  }

  set(name: string, value: string): void { this.push(OP_SET, name, value); }
  remove(name: string): void { this.push(OP_REMOVE, name, ""); }

  private push(op: u8, name: string, value: string): void {
    if (this.count >= CAPACITY) return; // cannot happen: at most 11 changes per request (2 + 8 + 1)
    unchecked((this.ops[this.count] = op));
    unchecked((this.names[this.count] = name));
    unchecked((this.values[this.count] = value));
    this.count++;
  }

  /**
   * Writes the changes into the request headers. `pairs` is the map as fetched at the start of
   * the request (it is edited here). Returns the number of host calls that failed.
   */
  commit(pairs: HeaderPairs): i32 {
    const n = this.count;
    if (n == 0) return 0;
    let individual: usize = 0;
    for (let i = 0; i < n; i++) {
      individual += HOST_CALL_COST_BYTES + <usize>unchecked(this.names[i]).length +
        <usize>String.UTF8.byteLength(unchecked(this.values[i]), false);
    }
    // a single change is always one call; otherwise compare with one write of the edited map
    if (n > 1) {
      for (let i = 0; i < n; i++) {
        const op = unchecked(this.ops[i]);
        const name = unchecked(this.names[i]);
        if (op == OP_SET) pairs.set(name, unchecked(this.values[i]));
        else pairs.remove(name);
      }
      if (HOST_CALL_COST_BYTES + pairs.serializedSize() < individual) {
        return setHeaderMapPairs(MapType.RequestHeaders, pairs) == WasmResult.Ok ? 0 : 1;
      }
    }
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const op = unchecked(this.ops[i]);
      const name = unchecked(this.names[i]);
      const r = op == OP_SET
        ? replaceHeaderMapValue(MapType.RequestHeaders, name, unchecked(this.values[i]))
        : removeHeaderMapValue(MapType.RequestHeaders, name);
      if (r != WasmResult.Ok) failed++;
    }
    return failed;
  }
}
