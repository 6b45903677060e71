import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Container, PodInfo, PodRuntime } from './cluster/runtime.js';
import { accepts } from './ingress-nginx.js';

/**
 * How to run `hotrod` in a child process: the built CLI under plain node, or — when this module
 * itself runs from TypeScript sources (tests) — the source CLI through tsx.
 */
export function hotrodCommand(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSource ? '../cli.ts' : '../cli.js', import.meta.url));
  return fromSource ? ['--conditions=crosstrace-source', '--import', 'tsx', cli] : [cli];
}

/** Options of {@link ProcessRuntime}. */
export interface ProcessRuntimeOptions {
  /** The `hotrod` arguments (service and flags) and extra environment of a pod's container. */
  command(pod: PodInfo): { args: string[]; env?: Record<string, string> };
  /** Where each container's output goes (`<dir>/<pod>.log`). */
  logDir: string;
}

function httpProbe(host: string, port: number, path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, timeout: 1000, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * The demo's container runtime: each pod's container is a `hotrod <service>` process bound to
 * the pod's own loopback address, with the Downward API's variables (`K8S_POD_NAME`, …) so its
 * spans carry the pod's identity. Readiness is probed as the kubelet does (HTTP GET or TCP).
 */
export class ProcessRuntime implements PodRuntime {
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly options: ProcessRuntimeOptions) {
    mkdirSync(options.logDir, { recursive: true });
  }

  async start(pod: PodInfo): Promise<Container> {
    const { args, env } = this.options.command(pod);
    const child = spawn(process.execPath, [...hotrodCommand(), ...args], {
      env: {
        ...process.env,
        ...env,
        K8S_POD_NAME: pod.name,
        K8S_NAMESPACE_NAME: pod.namespace,
        K8S_NODE_NAME: pod.nodeName,
        K8S_POD_IP: pod.ip,
        K8S_POD_UID: pod.uid,
        OTEL_RESOURCE_ATTRIBUTES: [
          `k8s.deployment.name=${pod.deployment}`,
          `k8s.replicaset.name=${pod.replicaSet}`,
          `k8s.container.name=${pod.deployment}`,
          `container.image.name=${pod.image.split(':')[0]}`,
          `container.image.tag=${pod.image.split(':')[1] ?? 'latest'}`,
        ].join(','),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    const log = createWriteStream(join(this.options.logDir, `${pod.name}.log`));
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => {
        this.children.delete(child);
        log.end();
        resolve(code ?? (signal === 'SIGKILL' ? 137 : 143));
      });
    });
    return {
      probe: () =>
        pod.probePath === undefined ? accepts(pod.ip, pod.port) : httpProbe(pod.ip, pod.port, pod.probePath),
      terminate: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
      exited,
    };
  }

  /** Pids of the containers still running. */
  get pids(): number[] {
    return [...this.children].flatMap((c) => (c.pid === undefined ? [] : [c.pid]));
  }

  /** SIGKILL to every container still running (after a graceful stop did not finish). */
  killAll(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }
}
