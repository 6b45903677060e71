import type { KubeConfig } from '@kubernetes/client-node';

/** The `@kubernetes/client-node` module. */
export type KubeClientModule = typeof import('@kubernetes/client-node');

/**
 * Loads `@kubernetes/client-node` when a collector first talks to the API server (the watch, leader
 * election): importing it costs about 1.2 s of CPU, which a collector without `--k8s-watch`,
 * `--version` and `import` do not pay.
 */
export function loadKubeClient(): Promise<KubeClientModule> {
  return import('@kubernetes/client-node');
}

/** The default client configuration: the pod's service account in a cluster, else `$KUBECONFIG` or `~/.kube/config`. */
export async function loadDefaultKubeConfig(): Promise<KubeConfig> {
  const { KubeConfig } = await loadKubeClient();
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
