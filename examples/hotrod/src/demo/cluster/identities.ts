// Who writes to the API server in a kind cluster, as audit events and Events name them.

const K8S_VERSION = 'v1.32.2';
const K8S_COMMIT = '67a30c0';

/** One API client: its user, user agent and source address. */
export interface ApiClient {
  username: string;
  groups: string[];
  userAgent: string;
  sourceIp: string;
  /** The reporting component of its Events ('' for none). */
  component: string;
  /** Its `reportingInstance` / `source.host` ('' for none). */
  host: string;
}

const CONTROL_PLANE_IP = '172.18.0.2';

function controller(name: string): ApiClient {
  return {
    username: `system:serviceaccount:kube-system:${name}`,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
    userAgent: `kube-controller-manager/${K8S_VERSION} (linux/amd64) kubernetes/${K8S_COMMIT}/system:serviceaccount:kube-system:${name}`,
    sourceIp: CONTROL_PLANE_IP,
    component: name,
    host: '',
  };
}

/** The person rolling the Deployment out. */
export const KUBECTL: ApiClient = {
  username: 'kubernetes-admin',
  groups: ['kubeadm:cluster-admins', 'system:authenticated'],
  userAgent: 'kubectl/v1.32.3 (linux/amd64) kubernetes/32cc146',
  sourceIp: '172.18.0.1',
  component: '',
  host: '',
};
export const DEPLOYMENT_CONTROLLER = controller('deployment-controller');
export const REPLICASET_CONTROLLER = controller('replicaset-controller');
export const ENDPOINTSLICE_CONTROLLER = controller('endpointslice-controller');
export const SCHEDULER: ApiClient = {
  username: 'system:kube-scheduler',
  groups: ['system:authenticated'],
  userAgent: `kube-scheduler/${K8S_VERSION} (linux/amd64) kubernetes/${K8S_COMMIT}/scheduler`,
  sourceIp: CONTROL_PLANE_IP,
  component: 'default-scheduler',
  host: 'default-scheduler-kind-control-plane',
};

/** A worker node: its kubelet's identity, address and pod network. */
export interface Node {
  name: string;
  hostIp: string;
  /** Pod IPs are `${podPrefix}.2`, `.3`, … (loopback addresses on this machine). */
  podPrefix: string;
  kubelet: ApiClient;
}

export function node(name: string, hostIp: string, podPrefix: string): Node {
  return {
    name,
    hostIp,
    podPrefix,
    kubelet: {
      username: `system:node:${name}`,
      groups: ['system:nodes', 'system:authenticated'],
      userAgent: `kubelet/${K8S_VERSION} (linux/amd64) kubernetes/${K8S_COMMIT}`,
      sourceIp: hostIp,
      component: 'kubelet',
      host: name,
    },
  };
}

/** The RBAC reason the API server writes into allowed requests' audit annotations. */
export function rbacReason(client: ApiClient): string {
  if (client === KUBECTL)
    return 'RBAC: allowed by ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"';
  if (client.username.startsWith('system:node:')) return '';
  if (client === SCHEDULER)
    return 'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler" of ClusterRole "system:kube-scheduler" to User "system:kube-scheduler"';
  const sa = client.username.split(':').pop() ?? '';
  return `RBAC: allowed by ClusterRoleBinding "system:controller:${sa}" of ClusterRole "system:controller:${sa}" to ServiceAccount "${sa}/kube-system"`;
}
