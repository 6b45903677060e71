import type { Writable } from 'node:stream';

/** The demo's ports, load and rollout profile. */
export interface DemoOptions {
  /** Address of the ingress and the collector (default 127.0.0.1). */
  host: string;
  /** The collector's query API and UI (default 16686). */
  queryPort: number;
  /** The collector's OTLP/HTTP and Kubernetes receivers (default 4318). */
  otlpPort: number;
  /** nginx: HTTP (default 8080) and HTTPS with optional client certificates (default 8443). */
  ingressPort: number;
  ingressTlsPort: number;
  /** The services' ports, on each pod's own address (defaults 8080–8083, as the original). */
  frontendPort: number;
  customerPort: number;
  driverPort: number;
  routePort: number;
  /** Browser sessions clicking (default 4) and their mean pause between clicks (default 250 ms). */
  users: number;
  thinkMs: number;
  /** Load before the rollout starts (default 8 s) and after it completed (default 6 s). */
  warmupMs: number;
  cooldownMs: number;
  /** How late nginx learns about EndpointSlice changes (default 4 s). */
  ingressSyncLagMs: number;
  /** The kubelet's readiness probe period (default 1 s). */
  probePeriodMs: number;
  frontendReplicas: number;
  /** Working folder (default: a fresh temporary one, removed at stop). */
  dir?: string;
  /** Record the run into this folder (app spans through an OTLP relay, records, access log). */
  recordTo?: string;
  /** Progress on `out` (default: when it is a terminal). */
  progress?: boolean;
  /** Where progress and notes go (default stderr). */
  out?: Writable & { isTTY?: boolean; columns?: number };
}

/** The defaults of {@link DemoOptions}. */
export function defaultDemoOptions(): DemoOptions {
  return {
    host: '127.0.0.1',
    queryPort: 16686,
    otlpPort: 4318,
    ingressPort: 8080,
    ingressTlsPort: 8443,
    frontendPort: 8080,
    customerPort: 8081,
    driverPort: 8082,
    routePort: 8083,
    users: 4,
    thinkMs: 250,
    warmupMs: 8000,
    cooldownMs: 6000,
    ingressSyncLagMs: 4000,
    probePeriodMs: 1000,
    frontendReplicas: 2,
  };
}
