import { CollectorErrorCode, createError } from '../../errors.js';
import type { Span, SpanBatch } from '../../model/span.js';
import type { StorageWriter } from '../../pipeline/storage-writer.js';
import { joinTargetOf, joinTraceId } from '../../processors/stitching/join-target.js';
import { TIMELINE_HEADER } from '../../receivers/k8s/index.js';
import { decodeTracesProtobuf } from '../../receivers/otlp/decode-protobuf.js';
import { encodeTracesProtobuf } from '../otlp/encode-traces.js';
import { type ClientTls, createOtlpClient, type OtlpClient } from '../otlp/otlp-client.js';
import type { SendResult } from '../otlp/send-result.js';
import { Delivery, type DeliveryStats } from '../queue/delivery.js';
import type { PersistentQueue, QueueEntry, QueueItem } from '../queue/persistent-queue.js';
import type { MemberSource } from './members.js';
import { DEFAULT_VIRTUAL_NODES, HashRing } from './ring.js';

/** Control-plane payloads broadcast to every gateway, and the gateway route each goes to. */
export const CONTROL_PLANE_ROUTES = {
  'k8s-objects': '/k8s/objects?arrival=event',
  'k8s-audit': '/k8s/audit',
} as const;
export type ControlPlaneKind = keyof typeof CONTROL_PLANE_ROUTES;

export interface LoadBalancingExporterOptions {
  queue: PersistentQueue;
  members: MemberSource;
  /** How spans travel to a gateway: OTLP/gRPC (the member's port) or OTLP/HTTP. */
  protocol: 'grpc' | 'http';
  /** The gateways' OTLP/HTTP port for control-plane data when `protocol` is grpc. */
  controlPlanePort: number;
  /** TLS towards the gateways (https / grpcs) when given. */
  tls?: ClientTls;
  /** Headers / metadata on every request (e.g. the gateways' ingest token). */
  headers?: Record<string, string>;
  virtualNodes?: number;
  /** Sends in flight per gateway (default 4). */
  concurrency?: number;
  /** Retry-After given to senders when no gateway is known or the queue is full. */
  retryAfterSeconds: number;
  onError?(err: unknown): void;
}

/** Remembered root joins (original trace → joined trace); the oldest are forgotten first. */
const MAX_REMAPS = 100_000;

function noGateway(retryAfterSeconds: number) {
  return createError(CollectorErrorCode.NoGateway, 'no gateway is known yet; retry later', {
    statusCode: 503,
    retryAfterSeconds,
  });
}

/**
 * The agent's last stage: spans go to the gateway that owns their trace id on a consistent-hash
 * ring, through a persistent queue (a batch is acknowledged once it is on disk; it leaves the disk
 * when its gateway acknowledged it); control-plane data goes to every gateway, and a gateway that
 * joins later, or that restarted with an empty timeline (`TIMELINE_HEADER`), is sent the journal
 * of recent control-plane data. On a change of members the rows of departed gateways are routed
 * again on the new ring.
 */
export class LoadBalancingExporter implements StorageWriter {
  readonly #o: LoadBalancingExporterOptions;
  readonly #delivery: Delivery;
  readonly #clients = new Map<string, { otlp: OtlpClient; http: OtlpClient }>();
  #ring = new HashRing([]);
  /** original trace id → the trace its root joined (X-Request-ID, audit id), most recent last */
  readonly #remaps = new Map<string, string>();
  #changing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: LoadBalancingExporterOptions) {
    this.#o = options;
    this.#delivery = new Delivery({
      queue: options.queue,
      concurrency: options.concurrency,
      send: (item) => this.#send(item),
      onResult: (item, r) => {
        if (r.kind === 'permanent')
          options.onError?.(
            new Error(`gateway ${item.dest} refused ${item.items} ${item.kind} for good: ${r.message}`),
          );
      },
    });
  }

  /** Resolves the members once and starts delivering. */
  async start(): Promise<void> {
    await this.#o.members.start((members) => this.#setMembers(members));
  }

  get members(): readonly string[] {
    return this.#ring.members;
  }

  get stats(): DeliveryStats {
    return this.#delivery.stats;
  }

  /** The gateway that receives the spans of `traceId`. */
  ownerOf(traceId: string): string | undefined {
    return this.#ring.owner(traceId);
  }

  /**
   * The trace id a span is routed by: the trace its own data joins (an app root's X-Request-ID,
   * an apiserver span's audit id, as the stitching processor joins them), else the trace its root
   * joined when this agent saw that root, else its own trace id. So the ingress spans, the app
   * root and (when they pass through the same agent) its children meet on one gateway.
   */
  routingKey(span: Span): string {
    const target = joinTargetOf(span);
    if (target !== undefined) return joinTraceId(target);
    return this.#remaps.get(span.traceId) ?? span.traceId;
  }

  #learnRemaps(spans: readonly Span[]): void {
    for (const s of spans) {
      const target = joinTargetOf(s);
      if (target === undefined) continue;
      const to = joinTraceId(target);
      if (to === s.traceId) continue;
      this.#remaps.delete(s.traceId);
      this.#remaps.set(s.traceId, to);
      if (this.#remaps.size > MAX_REMAPS) this.#remaps.delete(this.#remaps.keys().next().value as string);
    }
  }

  async consume(batch: SpanBatch): Promise<void> {
    if (this.#closed)
      throw createError(CollectorErrorCode.ShuttingDown, 'collector is shutting down', {
        statusCode: 503,
        retryAfterSeconds: this.#o.retryAfterSeconds,
      });
    if (batch.spans.length === 0) return;
    const entries = this.#route(batch.spans);
    if (entries === undefined) throw noGateway(this.#o.retryAfterSeconds);
    this.#o.queue.enqueue(entries);
    for (const e of entries) this.#delivery.wake(e.dest);
  }

  /** Queues a control-plane payload (JSON lines) for every gateway, and in the journal. */
  broadcast(kind: ControlPlaneKind, payload: string, items: number): void {
    if (this.#ring.members.length === 0) throw noGateway(this.#o.retryAfterSeconds);
    const bytes = Buffer.from(payload);
    const entries = this.#ring.members.map((dest) => ({ dest, kind, payload: bytes, items }));
    this.#o.queue.enqueue(entries, { kind, payload: bytes, items });
    for (const e of entries) this.#delivery.wake(e.dest);
  }

  #route(spans: readonly Span[]): QueueEntry[] | undefined {
    // a root listed after its children in one batch still takes them along
    this.#learnRemaps(spans);
    const groups = new Map<string, Span[]>();
    for (const s of spans) {
      const dest = this.#ring.owner(this.routingKey(s));
      if (dest === undefined) return undefined;
      const list = groups.get(dest);
      if (list === undefined) groups.set(dest, [s]);
      else list.push(s);
    }
    return [...groups].map(([dest, list]) => ({
      dest,
      kind: 'traces',
      payload: encodeTracesProtobuf(list),
      items: list.length,
    }));
  }

  #setMembers(members: readonly string[]): Promise<void> {
    this.#changing = this.#changing
      .then(() => this.#applyMembers(members))
      .catch((err) => this.#o.onError?.(err));
    return this.#changing;
  }

  async #applyMembers(members: readonly string[]): Promise<void> {
    const queue = this.#o.queue;
    const known = new Set(queue.knownMembers());
    const firstEver = known.size === 0 && queue.journal().length === 0;
    this.#ring = new HashRing(members, this.#o.virtualNodes ?? DEFAULT_VIRTUAL_NODES);
    const keep = new Set(this.#ring.members);
    for (const dest of this.#delivery.destinations()) {
      if (keep.has(dest)) continue;
      await this.#delivery.remove(dest);
      const c = this.#clients.get(dest);
      c?.otlp.close();
      c?.http.close();
      this.#clients.delete(dest);
    }
    // rows of departed gateways: spans to their new owners, control-plane data dropped (gone with them)
    for (const dest of queue.destinations()) {
      if (keep.has(dest)) continue;
      const items = queue.all(dest);
      const entries: QueueEntry[] = [];
      for (const it of items) {
        if (it.kind !== 'traces' || keep.size === 0) {
          if (it.kind === 'traces') entries.push(it);
          continue;
        }
        const decoded = decodeTracesProtobuf(it.payload);
        if (!decoded.ok) continue;
        entries.push(...(this.#route(decoded.spans) ?? []));
      }
      if (keep.size > 0) queue.replace(items, entries);
    }
    // a gateway that joins gets what the others were sent of the control plane
    if (!firstEver) {
      const journal = queue.journal();
      const catchUp: QueueEntry[] = [];
      for (const dest of keep)
        if (!known.has(dest))
          for (const j of journal) catchUp.push({ dest, kind: j.kind, payload: j.payload, items: j.items });
      if (catchUp.length > 0) queue.replace([], catchUp);
    }
    queue.setKnownMembers([...keep]);
    for (const dest of keep) {
      this.#delivery.add(dest);
      // rows routed here again, or caught up, came after what it was sending
      this.#delivery.wake(dest);
    }
  }

  #client(dest: string): { otlp: OtlpClient; http: OtlpClient } {
    let c = this.#clients.get(dest);
    if (c === undefined) {
      const secure = this.#o.tls !== undefined;
      const host = dest.slice(0, dest.lastIndexOf(':'));
      const httpBase = `${secure ? 'https' : 'http'}://${this.#o.protocol === 'http' ? dest : `${host}:${this.#o.controlPlanePort}`}`;
      const common = { tls: this.#o.tls, headers: this.#o.headers };
      const http = createOtlpClient({ endpoint: httpBase, ...common });
      const otlp =
        this.#o.protocol === 'http'
          ? http
          : createOtlpClient({ endpoint: `${secure ? 'grpcs' : 'grpc'}://${dest}`, ...common });
      c = { otlp, http };
      this.#clients.set(dest, c);
    }
    return c;
  }

  #send(item: QueueItem): Promise<SendResult> {
    const c = this.#client(item.dest);
    if (item.kind === 'traces') return c.otlp.exportTraces(item.payload);
    const route = CONTROL_PLANE_ROUTES[item.kind as ControlPlaneKind];
    if (route === undefined)
      return Promise.resolve({ kind: 'permanent', message: `unknown kind ${item.kind}` });
    return c.http.post(route, item.payload, 'application/json').then((r) => {
      const id = r.headers?.[TIMELINE_HEADER];
      if (r.kind !== 'ok' || typeof id !== 'string' || id === '' || this.#closed) return r;
      // a gateway that left the ring meanwhile is sent nothing more
      if (this.#ring.members.includes(item.dest) && this.#o.queue.changeTimeline(item.dest, id))
        this.#delivery.wake(item.dest);
      return r;
    });
  }

  depth(): { spans: number; bytes: number } {
    const d = this.#o.queue.depth();
    return { spans: d.rows, bytes: d.bytes };
  }

  isFull(): boolean {
    return this.#o.queue.isFull();
  }

  /** Resolves once everything queued was delivered (or refused for good). */
  drain(): Promise<void> {
    return this.#delivery.drained();
  }

  /** Stops delivering; what is queued stays on disk for the next start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.members.stop();
    await this.#changing;
    await this.#delivery.stop();
    for (const c of this.#clients.values()) {
      c.otlp.close();
      c.http.close();
    }
    this.#clients.clear();
    this.#o.queue.close();
  }
}
