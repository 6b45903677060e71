// Leader election on a coordination.k8s.io/v1 Lease through @kubernetes/client-node's
// CoordinationV1Api, with client-go's rules: the holder renews every retry period; a candidate
// takes the Lease only when its record has not changed for a whole lease duration as this process
// observed it (no trust in other nodes' clocks); every write carries the resourceVersion read, so
// two candidates cannot both win; a leader that cannot renew within the renew deadline steps down.
import type { CoordinationV1Api, KubeConfig, V1Lease } from '@kubernetes/client-node';
import {
  type KubeClientModule,
  loadDefaultKubeConfig,
  loadKubeClient,
} from '../receivers/k8s-objects/kube-client.js';

export interface LeaderElectionOptions {
  /** default: `loadFromDefault()` (the pod's service account in cluster), read by the first step */
  kubeConfig?: KubeConfig;
  namespace: string;
  /** Lease name */
  name: string;
  /** This candidate (the pod name) */
  identity: string;
  /** How long a Lease is valid after its last renewal (ms, default 15 000). */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down (ms, default 10 000). */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew (ms, default 2 000). */
  retryPeriodMs?: number;
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
  onError?(err: unknown): void;
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Runs the election until `stop()`; at most one candidate leads at a time.
 *
 * @example
 * const elector = new LeaderElector({ namespace: 'crosstrace', name: 'crosstrace-k8s-watch',
 *   identity: process.env.POD_NAME!, onStartedLeading: startWatch, onStoppedLeading: stopWatch });
 * elector.start();
 */
export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'kubeConfig' | 'onError'>> &
    Pick<LeaderElectionOptions, 'onError'>;
  readonly #kubeConfig: KubeConfig | undefined;
  /** the client library and the Lease API, loaded by the first step */
  #client: { k8s: KubeClientModule; api: CoordinationV1Api } | undefined;
  #leading = false;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** the record last seen, and when this process saw it change */
  #observed: { holder: string; renew: string; at: number } | undefined;
  #lastRenew = 0;

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      ...options,
      leaseDurationMs: options.leaseDurationMs ?? 15_000,
      renewDeadlineMs: options.renewDeadlineMs ?? 10_000,
      retryPeriodMs: options.retryPeriodMs ?? 2_000,
    };
    this.#kubeConfig = options.kubeConfig;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const tick = () => {
      this.#running = this.#step().finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.retryPeriodMs);
      });
    };
    tick();
  }

  /** Stops; a leader steps down and releases the Lease so that another takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
    if (this.#leading) {
      await this.#setLeading(false);
      try {
        const { api } = await this.#loadClient();
        const lease = await api.readNamespacedLease({
          name: this.#o.name,
          namespace: this.#o.namespace,
        });
        if (lease.spec?.holderIdentity === this.#o.identity) {
          lease.spec.holderIdentity = undefined;
          lease.spec.leaseDurationSeconds = 1;
          await api.replaceNamespacedLease({
            name: this.#o.name,
            namespace: this.#o.namespace,
            body: lease,
          });
        }
      } catch (err) {
        this.#report(err);
      }
    }
  }

  async #loadClient(): Promise<{ k8s: KubeClientModule; api: CoordinationV1Api }> {
    if (this.#client === undefined) {
      const k8s = await loadKubeClient();
      const kc = this.#kubeConfig ?? (await loadDefaultKubeConfig());
      this.#client = { k8s, api: kc.makeApiClient(k8s.CoordinationV1Api) };
    }
    return this.#client;
  }

  #report(err: unknown): void {
    try {
      this.#o.onError?.(err);
    } catch {
      // the handler's own failure must not stop the election
    }
  }

  async #setLeading(leading: boolean): Promise<void> {
    if (this.#leading === leading) return;
    this.#leading = leading;
    try {
      await (leading ? this.#o.onStartedLeading() : this.#o.onStoppedLeading());
    } catch (err) {
      this.#report(err);
    }
  }

  async #step(): Promise<void> {
    const now = Date.now();
    let ok = false;
    try {
      ok = await this.#tryAcquireOrRenew(now);
    } catch (err) {
      this.#report(err);
    }
    if (ok) {
      this.#lastRenew = now;
      await this.#setLeading(true);
    } else if (this.#leading && Date.now() - this.#lastRenew > this.#o.renewDeadlineMs) {
      await this.#setLeading(false);
    } else if (this.#leading && this.#observed !== undefined && this.#observed.holder !== this.#o.identity) {
      await this.#setLeading(false);
    }
  }

  #spec({ V1MicroTime }: KubeClientModule, prev: V1Lease['spec'], now: number): NonNullable<V1Lease['spec']> {
    const mine = prev?.holderIdentity === this.#o.identity;
    return {
      ...prev,
      holderIdentity: this.#o.identity,
      leaseDurationSeconds: Math.ceil(this.#o.leaseDurationMs / 1000),
      acquireTime: mine && prev?.acquireTime !== undefined ? prev.acquireTime : new V1MicroTime(now),
      renewTime: new V1MicroTime(now),
      leaseTransitions: mine ? (prev?.leaseTransitions ?? 0) : (prev?.leaseTransitions ?? -1) + 1,
    };
  }

  async #tryAcquireOrRenew(now: number): Promise<boolean> {
    const { name, namespace } = this.#o;
    const { k8s, api } = await this.#loadClient();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      try {
        await api.createNamespacedLease({
          namespace,
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace },
            spec: this.#spec(k8s, undefined, now),
          },
        });
        this.#observed = { holder: this.#o.identity, renew: String(now), at: now };
        return true;
      } catch (e) {
        if (statusOf(e) === 409) return false; // another candidate created it first
        throw e;
      }
    }
    const holder = lease.spec?.holderIdentity ?? '';
    const renew = lease.spec?.renewTime === undefined ? '' : String(new Date(lease.spec.renewTime).getTime());
    if (this.#observed === undefined || this.#observed.holder !== holder || this.#observed.renew !== renew)
      this.#observed = { holder, renew, at: now };
    const duration = (lease.spec?.leaseDurationSeconds ?? Math.ceil(this.#o.leaseDurationMs / 1000)) * 1000;
    if (holder !== '' && holder !== this.#o.identity && this.#observed.at + duration > now) return false;
    lease.spec = this.#spec(k8s, lease.spec, now);
    try {
      await api.replaceNamespacedLease({ name, namespace, body: lease });
    } catch (err) {
      if (statusOf(err) === 409) return false; // changed since read: someone else renewed or took it
      throw err;
    }
    this.#observed = { holder: this.#o.identity, renew: String(now), at: now };
    return true;
  }
}
