// The Kubernetes permissions the collector's own code needs, derived from what it watches, so that
// the manifests can be checked against the code instead of a second list.
import { DEFAULT_WATCH_PATHS } from '../receivers/k8s-objects/watch.js';

/** One RBAC PolicyRule. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** `/api/v1/pods` → ['', 'pods']; `/apis/apps/v1/replicasets` → ['apps', 'replicasets']. */
export function groupResourceOfPath(path: string): [string, string] {
  const parts = path.split('?')[0].split('/').filter(Boolean);
  if (parts[0] === 'api') return ['', parts[parts.length - 1]];
  return [parts[1], parts[parts.length - 1]];
}

/** The verbs a watch of a collection needs (the initial list of a watch from no resourceVersion, gets of single objects). */
export const WATCH_VERBS = ['get', 'list', 'watch'] as const;

/** ClusterRole rules for the watch of `paths` (default: what `--k8s-watch` watches), one per API group. */
export function watchRbacRules(paths: readonly string[] = DEFAULT_WATCH_PATHS): PolicyRule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const p of paths) {
    const [group, resource] = groupResourceOfPath(p);
    const set = byGroup.get(group) ?? new Set<string>();
    byGroup.set(group, set);
    set.add(resource);
  }
  return [...byGroup]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([group, resources]) => ({
      apiGroups: [group],
      resources: [...resources].sort(),
      verbs: [...WATCH_VERBS],
    }));
}

/** Role rules (in the collector's namespace) for leader election on a Lease. */
export function leaseRbacRules(): PolicyRule[] {
  return [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }];
}
