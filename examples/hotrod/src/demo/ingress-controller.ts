import type { Workloads } from './cluster/workloads.js';
import type { IngressNginx } from './ingress-nginx.js';

/** Options of {@link IngressController}. */
export interface IngressControllerOptions {
  service: string;
  /**
   * How long after an EndpointSlice change nginx gets the new upstream list. ingress-nginx
   * queues syncs and rate-limits them; the endpoints it sends requests to lag the cluster by
   * that much — the stale-endpoint window of a rollout.
   */
  syncLagMs: number;
  /** Told after every sync, with the upstream servers nginx now uses. */
  onSync?: (servers: readonly string[]) => void;
}

/**
 * The ingress controller's endpoint loop: reads the Service's EndpointSlice and gives nginx its
 * ready endpoints as upstream servers, `syncLagMs` after the first change since the last sync
 * (changes meanwhile are taken along).
 */
export class IngressController {
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly workloads: Workloads,
    private readonly nginx: IngressNginx,
    private readonly options: IngressControllerOptions,
  ) {
    workloads.onEndpointsChange((service) => {
      if (service === options.service) this.changed();
    });
  }

  /** The upstream servers the EndpointSlice asks for now: ready endpoints. */
  desired(): string[] {
    return this.workloads
      .endpoints(this.options.service)
      .filter((e) => e.ready && !e.terminating)
      .map((e) => `${e.address}:${e.port}`)
      .sort();
  }

  private changed(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncing = this.syncing.then(() => this.sync());
    }, this.options.syncLagMs);
  }

  /** Applies the EndpointSlice now (when it differs from what nginx has). */
  async sync(): Promise<void> {
    if (this.stopped) return;
    const servers = this.desired();
    if (servers.join(',') === [...this.nginx.upstreamServers].sort().join(',')) return;
    await this.nginx.reload(servers);
    this.options.onSync?.(servers);
  }

  /** Stops syncing; resolves when a sync in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.syncing;
  }
}
