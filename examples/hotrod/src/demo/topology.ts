// The demo's cluster: one namespace, two worker nodes (frontend pods on one, the backends on the
// other, each with its own loopback range), one image whose argument picks the service.
import { node } from './cluster/identities.js';
import type { PodInfo } from './cluster/runtime.js';
import type { DeploymentSpec } from './cluster/workloads.js';

export const NAMESPACE = 'hotrod';
export const IMAGE = 'ghcr.io/crosstrace/hotrod';
/** Where frontend pods run: 127.0.0.2, 127.0.0.3, … */
export const WORKER = node('kind-worker', '172.18.0.3', '127.0.0');
/** Where customer, driver and route run: 127.0.1.2, … */
export const BACKEND_WORKER = node('kind-worker2', '172.18.0.4', '127.0.1');

/** A backend Deployment: one replica, ready when its port accepts connections. */
export function backendSpec(name: 'customer' | 'driver' | 'route', port: number): DeploymentSpec {
  return {
    name,
    replicas: 1,
    image: `${IMAGE}:0.1.0`,
    args: [name],
    containerPort: port,
    node: BACKEND_WORKER,
  };
}

/** The frontend Deployment the demo rolls out. */
export function frontendSpec(o: { frontendReplicas: number; frontendPort: number }): DeploymentSpec {
  return {
    name: 'frontend',
    replicas: o.frontendReplicas,
    image: `${IMAGE}:0.1.0`,
    args: ['frontend'],
    containerPort: o.frontendPort,
    probePath: '/healthz',
    node: WORKER,
    // a common setting for a small Deployment: one pod may be missing while one extra starts
    maxSurge: 1,
    maxUnavailable: 1,
  };
}

/**
 * The `hotrod` command line of a pod's container: its service on the pod's address, the
 * frontend pointed at the backends' pods, spans to the collector (OTLP/JSON when recording).
 */
export function serviceCommand(
  pod: PodInfo,
  opts: {
    ports: { customerPort: number; driverPort: number; routePort: number };
    uiUrl: string;
    telemetry: { endpoint: string; json: boolean };
    addressOf: (service: string) => string;
  },
): { args: string[] } {
  const telemetry = [
    '--otlp-endpoint',
    opts.telemetry.endpoint,
    ...(opts.telemetry.json ? ['--otlp-protocol', 'http/json'] : []),
  ];
  const own = [
    `--${pod.deployment}-service-hostname`,
    pod.ip,
    `--${pod.deployment}-service-port`,
    String(pod.port),
  ];
  if (pod.deployment !== 'frontend') return { args: [pod.deployment, ...own, ...telemetry] };
  const { ports } = opts;
  return {
    args: [
      'frontend',
      ...own,
      ...['--customer-service-hostname', opts.addressOf('customer'), '-c', String(ports.customerPort)],
      ...['--driver-service-hostname', opts.addressOf('driver'), '-d', String(ports.driverPort)],
      ...['--route-service-hostname', opts.addressOf('route'), '-r', String(ports.routePort)],
      ...['-j', opts.uiUrl],
      ...telemetry,
    ],
  };
}
