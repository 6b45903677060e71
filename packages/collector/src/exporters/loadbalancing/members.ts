// Where the gateways are: a static list, or the A/AAAA records of a name (a Kubernetes headless
// Service lists its ready pods' IPs) resolved again on a period. A failed lookup keeps the last
// members (a DNS hiccup must not empty the ring).
import { promises as dns } from 'node:dns';

export interface MemberSourceOptions {
  /** `host` or `host:port` entries; used when `dnsName` is absent. */
  static?: readonly string[];
  /** A name whose A (and AAAA) records are the members, e.g. `crosstrace-gateway.crosstrace.svc.cluster.local`. */
  dnsName?: string;
  /** Port appended to every member that has none. */
  port: number;
  /** How often the name is resolved again (ms, default 5 000). */
  intervalMs?: number;
  /** Resolver (tests); default node:dns. Answers may carry a port (`host:port`). */
  resolve?: (name: string) => Promise<string[]>;
  onError?(err: unknown): void;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function memberAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function withPort(entry: string, port: number): string {
  if (/^\[.*\]:[0-9]+$/.test(entry) || /^[^:]+:[0-9]+$/.test(entry)) return entry;
  return memberAddress(entry.replace(/^\[|\]$/g, ''), port);
}

async function resolveAll(name: string): Promise<string[]> {
  const [v4, v6] = await Promise.allSettled([dns.resolve4(name), dns.resolve6(name)]);
  const out = [
    ...(v4.status === 'fulfilled' ? v4.value : []),
    ...(v6.status === 'fulfilled' ? v6.value : []),
  ];
  if (out.length === 0 && v4.status === 'rejected') throw v4.reason;
  return out;
}

/** Watches the member list; `start(onChange)` calls back with each new sorted list. */
export class MemberSource {
  readonly #o: MemberSourceOptions;
  #members: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #onChange: ((members: string[]) => void | Promise<void>) | undefined;

  constructor(options: MemberSourceOptions) {
    this.#o = options;
  }

  get members(): readonly string[] {
    return this.#members;
  }

  /** Resolves once, calls back, then keeps resolving every `intervalMs` (DNS only). */
  async start(onChange: (members: string[]) => void | Promise<void>): Promise<void> {
    this.#onChange = onChange;
    await this.refresh();
    if (this.#o.dnsName !== undefined) {
      this.#timer = setInterval(() => void this.refresh(), this.#o.intervalMs ?? 5000);
      this.#timer.unref();
    }
  }

  /** Looks the members up now; calls back when they changed. */
  async refresh(): Promise<void> {
    let next: string[];
    if (this.#o.dnsName === undefined) next = (this.#o.static ?? []).map((e) => withPort(e, this.#o.port));
    else {
      try {
        const ips = await (this.#o.resolve ?? resolveAll)(this.#o.dnsName);
        next = ips.map((ip) => withPort(ip, this.#o.port));
      } catch (err) {
        this.#o.onError?.(err);
        return;
      }
    }
    next = [...new Set(next)].sort();
    if (next.length === this.#members.length && next.every((m, i) => m === this.#members[i])) return;
    this.#members = next;
    await this.#onChange?.(next);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }
}
