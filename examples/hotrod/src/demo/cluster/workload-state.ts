// What the simulated control plane knows about its Deployments, ReplicaSets and pods.
import type { K8sObject } from './api-server.js';
import type { Node } from './identities.js';
import type { Container } from './runtime.js';

/** A Deployment as `kubectl apply` would send it (what the demo varies). */
export interface DeploymentSpec {
  name: string;
  replicas: number;
  image: string;
  containerPort: number;
  /** The readiness probe: an HTTP GET of this path, or a TCP connect when undefined. */
  probePath?: string;
  /** Where its pods run. */
  node: Node;
  /**
   * RollingUpdate `maxSurge` / `maxUnavailable` as pod counts (default: the Deployment defaults,
   * 25 % each, rounded up and down: 1 and 0 for up to 4 replicas).
   */
  maxSurge?: number;
  maxUnavailable?: number;
  /** Container arguments and environment (part of the pod template: changing them rolls it out). */
  args?: string[];
  env?: Record<string, string>;
}

/** One address of a Service's EndpointSlice, as the ingress controller reads it. */
export interface Endpoint {
  address: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  pod: string;
}

export interface PodState {
  name: string;
  uid: string;
  ip: string;
  node: Node;
  rs: RsState;
  containerId: string;
  created: bigint;
  scheduled?: bigint;
  started?: bigint;
  containerStarted?: bigint;
  ready?: bigint;
  deletion?: bigint;
  finished?: bigint;
  exitCode?: number;
  container?: Container;
  object?: K8sObject;
  /** Resolves when the pod object is deleted. */
  gone?: Promise<void>;
  markGone?: () => void;
}

export interface RsState {
  name: string;
  uid: string;
  created: bigint;
  hash: string;
  revision: number;
  replicas: number;
  template: Record<string, unknown>;
  pods: PodState[];
  object?: K8sObject;
  dep: DeploymentState;
}

export interface DeploymentState {
  spec: DeploymentSpec;
  uid: string;
  generation: number;
  created: bigint;
  replicaSets: RsState[];
  object?: K8sObject;
  managedFields: Record<string, unknown>[];
  service: { uid: string };
  slice: {
    name: string;
    uid: string;
    created: bigint;
    written: boolean;
    endpoints: Map<string, Endpoint & { podUid: string }>;
  };
}

/** maxSurge / maxUnavailable as pod counts: the spec's, else the Deployment defaults (25 %). */
export function strategyOf(spec: DeploymentSpec): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = spec.maxSurge ?? Math.ceil(spec.replicas * 0.25);
  const maxUnavailable = spec.maxUnavailable ?? Math.floor(spec.replicas * 0.25);
  return { maxSurge, maxUnavailable: maxSurge === 0 && maxUnavailable === 0 ? 1 : maxUnavailable };
}
