/** What the kubelet knows about a pod it starts. */
export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  ip: string;
  deployment: string;
  replicaSet: string;
  image: string;
  /** The container's port. */
  port: number;
  /** The readiness probe's HTTP path; a TCP connect when undefined. */
  probePath?: string;
}

/** A running container. */
export interface Container {
  /** One readiness probe: true when the container answers. */
  probe(): Promise<boolean>;
  /** Sends SIGTERM (the kubelet killing the container of a deleted pod). */
  terminate(): void;
  /** Resolves with the exit code when the process is gone. */
  readonly exited: Promise<number>;
}

/** The container runtime behind the simulated kubelet: real processes in the demo, fakes in tests. */
export interface PodRuntime {
  start(pod: PodInfo): Promise<Container>;
}
