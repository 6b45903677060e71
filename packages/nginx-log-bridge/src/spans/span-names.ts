/** Names kept per method before that method's table starts over. */
const MAX_NAMES_PER_PREFIX = 1024;

/**
 * Span names `<method> <upstream>`, one string object per pair (bounded), the pair named last
 * remembered: its parts are constant or interned strings, so comparing them is a pointer check.
 */
export class SpanNames {
  private readonly byPrefix = new Map<string, Map<string, string>>();
  private lastPrefix = '';
  private lastUpstream = '';
  private lastName = '';

  nameOf(prefix: string, upstream: string): string {
    if (prefix === this.lastPrefix && upstream === this.lastUpstream) return this.lastName;
    this.lastPrefix = prefix;
    this.lastUpstream = upstream;
    this.lastName = this.lookUp(prefix, upstream);
    return this.lastName;
  }

  private lookUp(prefix: string, upstream: string): string {
    let byUpstream = this.byPrefix.get(prefix);
    if (byUpstream === undefined) {
      byUpstream = new Map();
      this.byPrefix.set(prefix, byUpstream);
    }
    let name = byUpstream.get(upstream);
    if (name === undefined) {
      name = `${prefix} ${upstream}`;
      if (byUpstream.size >= MAX_NAMES_PER_PREFIX) byUpstream.clear();
      byUpstream.set(upstream, name);
    }
    return name;
  }
}
