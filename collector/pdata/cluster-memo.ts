/**
 * A pure function of a cluster name behind a small bounded memory: the spans of a proxy name the
 * same few clusters over and over, so most lookups skip the parse and share one string. At most
 * `capacity` clusters are kept; the memory starts over when full.
 */
export class ClusterMemo {
  private readonly known = new Map<string, string | undefined>();

  constructor(
    private readonly compute: (cluster: string) => string | undefined,
    private readonly capacity = 256,
  ) {}

  lookup(cluster: string | undefined): string | undefined {
    if (cluster === undefined) return undefined;
    const hit = this.known.get(cluster);
    if (hit !== undefined || this.known.has(cluster)) return hit;
    const value = this.compute(cluster);
    if (this.known.size >= this.capacity) this.known.clear();
    this.known.set(cluster, value);
    return value;
  }
}
